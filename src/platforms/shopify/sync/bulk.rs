//! A full sync: the locations by one page, every other part of the store exported by its own bulk
//! operation, all five at once (API versions from 2026-01 run up to five per shop, and one part
//! each keeps a slow export from holding up the others; a sixth would wait), each polled until
//! Shopify has written its file, then the file streamed line by line and stored a batch at a
//! time with the checkpoint of the line reached, each batch read while the one before is stored.
//! A restart while Shopify exports polls the same operation; one mid-import goes on from the
//! last committed line, or, when the file's address has expired, exports again. A failed or
//! cancelled operation's partial file is imported, then the family is exported again (a second
//! stop and the family is paged through instead); rows are keyed by id, so nothing is stored twice.

use std::time::Duration;

use futures::StreamExt;
use serde::Deserialize;
use serde_json::{json, value::RawValue};
use tokio::sync::mpsc::{self, Sender};

use super::{
    super::{client::ShopifyError, queries},
    fatal, ShopifySync, Step,
};
use crate::{
    db,
    error::AppError,
    ids::StoreId,
    jobs::{run::Stop, Phase},
    records::{self, Part},
};

/// Lines stored in one transaction.
const IMPORT_BATCH: usize = 1000;
/// How often an export is polled when no finish webhook says it is done.
const POLL_EVERY: Duration = Duration::from_secs(1);
/// Attempts at a file download that breaks off, each resuming from the last committed line.
const DOWNLOAD_ATTEMPTS: u32 = 5;

/// The bulk query of a part; the locations (a page's worth) are simply paged.
fn bulk_query(part: Part) -> Option<&'static str> {
    Some(match part {
        Part::Locations => return None,
        Part::Products => queries::BULK_PRODUCTS,
        Part::InventoryLevels => queries::BULK_INVENTORY_LEVELS,
        Part::Customers => queries::BULK_CUSTOMERS,
        Part::Orders => queries::BULK_ORDERS,
        Part::FulfillmentOrders => queries::BULK_FULFILLMENT_ORDERS,
    })
}

#[derive(Deserialize)]
struct Started {
    #[serde(rename = "bulkOperationRunQuery")]
    run: Option<RunPayload>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RunPayload {
    bulk_operation: Option<Operation>,
    #[serde(default)]
    user_errors: Vec<UserError>,
}

#[derive(Deserialize)]
struct UserError {
    message: String,
    code: Option<String>,
}

#[derive(Deserialize)]
struct Polled {
    #[serde(rename = "bulkOperation")]
    operation: Option<Operation>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Operation {
    id: String,
    status: String,
    error_code: Option<String>,
    object_count: Option<String>,
    root_object_count: Option<String>,
    url: Option<String>,
    partial_data_url: Option<String>,
}

fn number(text: &Option<String>) -> Option<i64> {
    text.as_deref()?.parse().ok()
}

impl ShopifySync<'_> {
    pub(super) async fn full(&mut self) -> Result<(), Stop> {
        let mut finishes = self.run.exports_ready();
        loop {
            self.check_cancelled().await?;
            let mut waiting_for_room = false;
            for part in Part::ALL {
                if !self.checkpoint.steps.contains_key(&part) && !self.start(part).await? {
                    waiting_for_room = true;
                }
            }
            let next = Part::ALL
                .into_iter()
                .find(|r| matches!(self.checkpoint.steps.get(r), Some(Step::Import { .. } | Step::Pages { .. })));
            if let Some(resource) = next {
                match self.checkpoint.steps[&resource] {
                    Step::Import { .. } => self.import(resource).await?,
                    _ => self.walk(resource).await?,
                }
                continue;
            }
            if !waiting_for_room && self.checkpoint.steps.values().all(|s| *s == Step::Done) {
                return Ok(());
            }
            if !self.poll().await? {
                let store = self.run.store_id;
                let finished = async {
                    while let Ok(finished) = finishes.recv().await {
                        if finished == store {
                            return;
                        }
                    }
                };
                tokio::select! {
                    _ = tokio::time::sleep(POLL_EVERY) => {}
                    _ = finished => {}
                }
            }
        }
    }

    /// Starts the part's bulk operation; false when Shopify runs as many as it allows now.
    async fn start(&mut self, resource: Part) -> Result<bool, Stop> {
        let Some(query) = bulk_query(resource) else {
            self.checkpoint.steps.insert(resource, Step::Pages { after: None, query: None });
            return Ok(true);
        };
        let answer = self.query(queries::RUN_BULK, json!({"query": query}), 10.0).await?;
        let started: Started = answer.read().map_err(fatal)?;
        let run = started.run.ok_or_else(|| fatal(ShopifyError::BadResponse("no bulkOperationRunQuery".into())))?;
        if let Some(error) = run.user_errors.first() {
            let busy = error.code.as_deref() == Some("OPERATION_IN_PROGRESS") || error.message.contains("in progress");
            if busy {
                if self.told_to_wait.insert(resource) {
                    self.run.progress.event(format!(
                        "Shopify runs as many exports at once as it allows; the {} waits its turn",
                        resource.words()
                    ));
                }
                return Ok(false);
            }
            return Err(Stop::Fatal(format!("Shopify refused to export the {}: {}", resource.words(), error.message)));
        }
        let operation =
            run.bulk_operation.ok_or_else(|| fatal(ShopifyError::BadResponse("no bulk operation".into())))?;
        self.run.progress.event(format!("Shopify is exporting the {}", resource.words()));
        let now = db::now();
        let count = self.run.progress.resources.entry(resource.key().into()).or_default();
        count.done = 0;
        count.exported = Some(0);
        count.enter(Phase::Exporting, now);
        self.checkpoint.steps.insert(resource, Step::Export { operation: operation.id });
        self.save_now().await?;
        Ok(true)
    }

    /// Polls every export under way; true when one of them moved on to its file.
    async fn poll(&mut self) -> Result<bool, Stop> {
        let exporting: Vec<(Part, String)> = self
            .checkpoint
            .steps
            .iter()
            .filter_map(|(r, s)| match s {
                Step::Export { operation } => Some((*r, operation.clone())),
                _ => None,
            })
            .collect();
        let mut moved = false;
        for (resource, id) in exporting {
            let answer = self.query(queries::POLL_BULK, json!({"id": id}), 1.0).await?;
            let polled: Polled = answer.read().map_err(fatal)?;
            let now = db::now();
            let count = self.run.progress.resources.entry(resource.key().into()).or_default();
            let Some(operation) = polled.operation else {
                // Shopify no longer knows it: export again.
                self.checkpoint.steps.remove(&resource);
                moved = true;
                continue;
            };
            count.exported = number(&operation.object_count);
            let next = match operation.status.as_str() {
                "CREATED" | "RUNNING" | "CANCELING" => None,
                "COMPLETED" => {
                    // Inventory levels are exported under their items: only the children count.
                    count.total = match resource {
                        Part::InventoryLevels => number(&operation.object_count)
                            .zip(number(&operation.root_object_count))
                            .map(|(all, items)| all - items),
                        _ => number(&operation.root_object_count),
                    };
                    Some(match operation.url {
                        Some(url) => Step::Import { operation: operation.id, url, line: 0, partial: false },
                        None => Step::Done,
                    })
                }
                "FAILED" | "CANCELED" => {
                    let why = operation.error_code.as_deref().unwrap_or("no reason given").to_lowercase();
                    // A cancelled operation's rows so far are at `url`; a failed one's at `partialDataUrl`.
                    Some(match operation.partial_data_url.or(operation.url) {
                        Some(url) => {
                            let then = match self.checkpoint.stopped_once.contains(&resource) {
                                true => "paging through the rest",
                                false => "exporting them again",
                            };
                            self.run.progress.event(format!(
                                "Shopify's export of the {} stopped ({why}); storing what it wrote, then {then}",
                                resource.words()
                            ));
                            Step::Import { operation: operation.id, url, line: 0, partial: true }
                        }
                        None => {
                            self.run.progress.event(format!(
                                "Shopify's export of the {} stopped ({why}) with nothing written; paging through them instead",
                                resource.words()
                            ));
                            Step::Pages { after: None, query: None }
                        }
                    })
                }
                _ => {
                    self.run
                        .progress
                        .event(format!("Shopify's export of the {} expired; exporting again", resource.words()));
                    self.checkpoint.steps.remove(&resource);
                    moved = true;
                    None
                }
            };
            if let Some(step) = next {
                let count = self.run.progress.resources.entry(resource.key().into()).or_default();
                count.enter(if step == Step::Done { Phase::Done } else { Phase::Downloading }, now);
                self.checkpoint.steps.insert(resource, step);
                moved = true;
            }
        }
        self.save_now().await?;
        Ok(moved)
    }

    /// Streams the resource's file from the line reached, a batch per transaction.
    async fn import(&mut self, resource: Part) -> Result<(), Stop> {
        if let Some(Step::Import { line: 0, .. }) = self.checkpoint.steps.get(&resource) {
            self.run.progress.event(format!("Storing the {} from Shopify's export", resource.words()));
        }
        let mut attempts = 0;
        loop {
            let Some(Step::Import { url, line, .. }) = self.checkpoint.steps.get(&resource).cloned() else {
                return Ok(());
            };
            match self.import_from(resource, &url, line).await {
                Ok(()) => break,
                Err(ImportError::Stop(stop)) => return Err(stop),
                Err(ImportError::Shopify(ShopifyError::Expired)) => {
                    self.run
                        .progress
                        .event(format!("The {} file's address expired; exporting again", resource.words()));
                    self.checkpoint.steps.remove(&resource);
                    self.save_now().await?;
                    return Ok(());
                }
                Err(ImportError::Shopify(err)) if err.is_transient() && attempts < DOWNLOAD_ATTEMPTS => {
                    attempts += 1;
                    self.run
                        .progress
                        .event(format!("Retried the {} file ({err}), attempt {attempts}", resource.words()));
                    tokio::time::sleep(Duration::from_millis(500 << attempts)).await;
                }
                Err(ImportError::Shopify(err)) => return Err(fatal(err)),
            }
        }
        let partial = matches!(self.checkpoint.steps.get(&resource), Some(Step::Import { partial: true, .. }));
        let mut tx = self.begin().await?;
        let count = self.run.progress.resources.entry(resource.key().into()).or_default();
        if !partial {
            count.enter(Phase::Done, db::now());
            self.checkpoint.steps.insert(resource, Step::Done);
        } else if self.checkpoint.stopped_once.contains(&resource) {
            self.checkpoint.steps.insert(resource, Step::Pages { after: None, query: None });
        } else {
            self.checkpoint.stopped_once.push(resource);
            self.checkpoint.steps.remove(&resource);
        }
        self.save(&mut tx).await?;
        tx.commit().await?;
        self.run.changed();
        Ok(())
    }

    /// Stores the file from line `from` on while it is read a batch ahead: the next batch is
    /// downloaded and read into rows while the last is written.
    async fn import_from(&mut self, resource: Part, url: &str, from: u64) -> Result<(), ImportError> {
        let response = self.shopify.client.download(url).await?;
        let (ahead, mut batches) = mpsc::channel(1);
        let reader =
            FileReader { store_id: self.run.store_id, postgres: self.run.pool().is_postgres(), batches: ahead };
        let storing = async move {
            while let Some(batch) = batches.recv().await {
                self.store_batch(resource, batch?).await?;
            }
            Ok::<(), ImportError>(())
        };
        let reading = async {
            reader.read(response, from).await;
            Ok(())
        };
        // Storing ends the import: when it stops, the reading is dropped with it.
        tokio::try_join!(reading, storing)?;
        Ok(())
    }

    /// Stores one batch of lines and the line reached, in one transaction.
    async fn store_batch(&mut self, resource: Part, batch: ReadBatch) -> Result<(), Stop> {
        self.check_cancelled().await?;
        let ReadBatch { prepared, malformed, reached } = batch;
        let mut tx = self.begin().await?;
        let stored = records::repo::store(&mut tx, prepared?).await?;
        for line in malformed {
            crate::jobs::repo::record_failed_item(
                &mut tx,
                self.run.id,
                resource.key(),
                None,
                &format!("line {line} is not JSON"),
            )
            .await?;
        }
        self.account(&mut tx, resource, &stored).await?;
        if let Some(Step::Import { line, .. }) = self.checkpoint.steps.get_mut(&resource) {
            *line = reached;
        }
        let count = self.run.progress.resources.entry(resource.key().into()).or_default();
        count.enter(Phase::Importing, db::now());
        self.save(&mut tx).await?;
        tx.commit().await?;
        self.run.changed();
        Ok(())
    }
}

/// A batch of the file prepared to store, the lines in it that were not JSON, and the line reached.
struct ReadBatch {
    prepared: Result<records::repo::Prepared, AppError>,
    malformed: Vec<u64>,
    reached: u64,
}

/// Reads a file for an import a batch ahead of it, preparing each batch for the store's
/// database, and sends the batches on.
struct FileReader {
    store_id: StoreId,
    postgres: bool,
    batches: Sender<Result<ReadBatch, ShopifyError>>,
}

impl FileReader {
    /// Downloads the file from line `from` on and sends it on a batch at a time (the last,
    /// perhaps empty, with the line the file ends at), or how the download broke off.
    async fn read(self, response: reqwest::Response, from: u64) {
        let mut body = response.bytes_stream();
        let mut pending: Vec<u8> = Vec::new();
        let mut lines = Vec::with_capacity(IMPORT_BATCH);
        let mut line = 0u64;
        while let Some(chunk) = body.next().await {
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(err) => {
                    let _ = self.batches.send(Err(super::super::client::transport(err))).await;
                    return;
                }
            };
            pending.extend_from_slice(&chunk);
            let mut start = 0;
            while let Some(end) = pending[start..].iter().position(|b| *b == b'\n') {
                let text = pending[start..start + end].to_vec();
                start += end + 1;
                line += 1;
                if line <= from {
                    continue;
                }
                lines.push((line, text));
                if lines.len() >= IMPORT_BATCH && !self.send(std::mem::take(&mut lines), line).await {
                    return;
                }
            }
            pending.drain(..start);
        }
        if !pending.is_empty() {
            line += 1;
            if line > from {
                lines.push((line, pending));
            }
        }
        self.send(lines, line.max(from)).await;
    }

    /// Prepares numbered lines on a thread for blocking work (it is all computing) and sends
    /// them on; false when the import has stopped listening.
    async fn send(&self, lines: Vec<(u64, Vec<u8>)>, reached: u64) -> bool {
        let (store_id, postgres) = (self.store_id, self.postgres);
        let read = tokio::task::spawn_blocking(move || {
            let (mut batch, mut malformed) = (Vec::with_capacity(lines.len()), Vec::new());
            for (number, text) in lines {
                read_line(text, number, &mut batch, &mut malformed);
            }
            let refs: Vec<&RawValue> = batch.iter().map(|l| l.as_ref()).collect();
            let prepared = {
                let now = db::now();
                records::repo::prepare(store_id, super::super::reader::read_lines(&refs, now), now, postgres)
            };
            ReadBatch { prepared, malformed, reached }
        });
        match read.await {
            Ok(batch) => self.batches.send(Ok(batch)).await.is_ok(),
            Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
            Err(_) => false,
        }
    }
}

/// A line of the file: a node to store, or (when it is not JSON) its number for the failed list.
fn read_line(mut text: Vec<u8>, number: u64, batch: &mut Vec<Box<RawValue>>, malformed: &mut Vec<u64>) {
    if text.last() == Some(&b'\r') {
        text.pop();
    }
    if text.iter().all(u8::is_ascii_whitespace) {
        return;
    }
    match String::from_utf8(text).ok().and_then(|t| RawValue::from_string(t).ok()) {
        Some(node) => batch.push(node),
        None => malformed.push(number),
    }
}

enum ImportError {
    Stop(Stop),
    Shopify(ShopifyError),
}

impl From<Stop> for ImportError {
    fn from(stop: Stop) -> ImportError {
        ImportError::Stop(stop)
    }
}

impl From<ShopifyError> for ImportError {
    fn from(err: ShopifyError) -> ImportError {
        ImportError::Shopify(err)
    }
}

/// What a poll's JSON says, for tests of the states.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_read_and_bad_ones_counted() {
        let (mut batch, mut malformed) = (Vec::new(), Vec::new());
        read_line(br#"{"id":"gid://shopify/Order/1"}"#.to_vec(), 1, &mut batch, &mut malformed);
        read_line(b"{\"truncated\":".to_vec(), 2, &mut batch, &mut malformed);
        read_line(b"   ".to_vec(), 3, &mut batch, &mut malformed);
        read_line(b"{\"a\":1}\r".to_vec(), 4, &mut batch, &mut malformed);
        assert_eq!((batch.len(), malformed), (2, vec![2]));
        let _: serde_json::Value = serde_json::from_str(batch[1].get()).unwrap();
    }
}
