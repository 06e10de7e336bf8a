//! Bulk operations (GRAPHQL.md §4). `bulkOperationRunQuery` checks the query, then writes the
//! whole result to a JSONL file on a blocking thread, streaming line by line (never the whole
//! file in memory). What a poll reports is a function of the emulator's clock alone: CREATED until
//! `start_delay_ms` has passed, then RUNNING with `objects_per_second` objects a second (0: all at
//! once), then COMPLETED, or FAILED after `bulk_fail_after` objects, or CANCELED where a cancel
//! stopped it. A poll that would report objects not yet written waits for the writer, so a manual
//! clock drives an operation through its states deterministically.
//!
//! Result files are served at `/_storage/bulk/{key}` like signed storage URLs: no token needed,
//! `Expires` (Unix seconds, `url_ttl_secs` after the operation finished) and `Signature` checked;
//! expired or tampered URLs get GCS's 403 `AccessDenied` / `SignatureDoesNotMatch` XML bodies.

use std::{
    collections::VecDeque,
    fs::File,
    io::{BufWriter, Read, Seek, SeekFrom, Write},
    path::PathBuf,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    body::Body,
    extract::{Path, Query, State},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;

use super::{
    exec::{Ctx, Deferred, Obj, Val},
    out::{Out, Step},
    resolve::utc,
    schema::{is_list, named, TypeDef, SCHEMA},
    search::FieldValue,
    validate::{plan, OpKind, PField},
};
use crate::{
    apps::App,
    config::{BulkConfig, BulkShuffle},
    data::mix,
    webhooks::{self, DeliveryOptions},
    EmulatorState, Shop,
};

/// One bulk operation as a poll sees it at one moment.
#[derive(Debug, Clone)]
pub struct BulkView {
    pub id: u64,
    pub status: &'static str,
    pub error_code: Option<&'static str>,
    pub created_at: i64,
    pub completed_at: Option<i64>,
    pub object_count: u64,
    pub root_object_count: u64,
    pub file_size: Option<u64>,
    pub url: Option<String>,
    pub partial_url: Option<String>,
    pub query: String,
    pub kind: &'static str,
}

impl BulkView {
    pub fn gid(&self) -> String {
        format!("gid://shopify/BulkOperation/{}", self.id)
    }

    pub fn terminal(&self) -> bool {
        matches!(self.status, "COMPLETED" | "FAILED" | "CANCELED" | "EXPIRED")
    }

    pub fn field<'a>(&self, name: &str) -> Val<'a> {
        match name {
            "id" => Val::str(self.gid()),
            "status" => Val::str(self.status),
            "errorCode" => Val::opt_str(self.error_code),
            "createdAt" => Val::str(utc(self.created_at)),
            "completedAt" => Val::opt_str(self.completed_at.map(utc)),
            "objectCount" => Val::str(self.object_count.to_string()),
            "rootObjectCount" => Val::str(self.root_object_count.to_string()),
            "fileSize" => Val::opt_str(self.file_size.map(|s| s.to_string())),
            "url" => Val::opt_str(self.url.clone()),
            "partialDataUrl" => Val::opt_str(self.partial_url.clone()),
            "query" => Val::str(self.query.clone()),
            "type" => Val::str(self.kind),
            _ => Val::Null,
        }
    }

    pub fn search_field(&self, field: Option<&str>) -> FieldValue {
        match field {
            Some("id") => FieldValue::Number(self.id as i64),
            Some("status") => FieldValue::Text(self.status.to_owned()),
            Some("operation_type" | "type") => FieldValue::Text(self.kind.to_owned()),
            Some("created_at") => FieldValue::Time(self.created_at),
            _ => FieldValue::Unknown,
        }
    }
}

/// A finished result file: where it is and where each line ends.
struct ResultFile {
    path: PathBuf,
    /// Byte offset just past each line's newline.
    ends: Vec<u64>,
    /// Root objects among the first n + 1 lines.
    roots: Vec<u32>,
}

impl ResultFile {
    fn bytes(&self, lines: u64) -> u64 {
        lines.checked_sub(1).and_then(|i| self.ends.get(i as usize)).copied().unwrap_or(0)
    }

    fn roots(&self, lines: u64) -> u64 {
        lines.checked_sub(1).and_then(|i| self.roots.get(i as usize)).map_or(0, |r| u64::from(*r))
    }
}

impl Drop for ResultFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

enum FileState {
    Writing,
    Ready(Arc<ResultFile>),
    Broken,
}

struct BulkOp {
    id: u64,
    app: App,
    query: String,
    created: Duration,
    started: Duration,
    rate: f64,
    fail_after: Option<u64>,
    /// The scopes the query needs, each entry one-of: an app that loses one while its operation
    /// runs sees the operation fail ACCESS_DENIED.
    needs: Vec<Vec<String>>,
    denied: bool,
    /// When a cancel came and how many objects were out by then.
    canceled: Option<(Duration, u64)>,
    ttl_secs: u64,
    notified: bool,
    /// The file is gone from disk: its URL has expired.
    purged: bool,
    file: FileState,
}

/// A shop's bulk operations.
#[derive(Default)]
pub struct BulkStore {
    ops: Mutex<Vec<BulkOp>>,
    last_id: Mutex<u64>,
}

/// Shopify's errors for a bulk query it will not run (`BulkOperationUserError`).
#[derive(Debug, Clone, PartialEq)]
pub struct BulkUserError {
    pub code: &'static str,
    pub field: Option<Vec<String>>,
    pub message: String,
}

/// How many objects are out `elapsed` after the start.
fn produced(rate: f64, limit: u64, since_start: Duration) -> u64 {
    if rate <= 0.0 {
        return limit;
    }
    let n = (since_start.as_secs_f64() * rate + 1e-9).floor();
    (n as u64).min(limit)
}

impl BulkOp {
    fn limit(&self, total: u64) -> u64 {
        self.fail_after.map_or(total, |n| n.min(total))
    }

    fn failing(&self, total: u64) -> bool {
        self.fail_after.is_some_and(|n| n < total)
    }

    /// When the last object of `count` was out.
    fn finished_at(&self, count: u64) -> Duration {
        if self.rate <= 0.0 {
            self.started
        } else {
            self.started + Duration::from_secs_f64(count as f64 / self.rate)
        }
    }

    /// Objects out at `now`, if the file is written.
    fn count_at(&self, now: Duration) -> Option<u64> {
        let FileState::Ready(file) = &self.file else { return None };
        let total = file.ends.len() as u64;
        Some(if now < self.started { 0 } else { produced(self.rate, self.limit(total), now - self.started) })
    }

    fn view(&self, now: Duration, emu: &EmulatorState, handle: &str) -> BulkView {
        let mut view = BulkView {
            id: self.id,
            status: "CREATED",
            error_code: None,
            created_at: emu.clock.unix_at(self.created),
            completed_at: None,
            object_count: 0,
            root_object_count: 0,
            file_size: None,
            url: None,
            partial_url: None,
            query: self.query.clone(),
            kind: "QUERY",
        };
        let file = match &self.file {
            _ if self.denied => {
                view.status = "FAILED";
                view.error_code = Some("ACCESS_DENIED");
                view.completed_at = Some(view.created_at);
                return view;
            }
            FileState::Broken => {
                view.status = "FAILED";
                view.error_code = Some("INTERNAL_SERVER_ERROR");
                view.completed_at = Some(view.created_at);
                return view;
            }
            FileState::Writing => {
                if now >= self.started {
                    view.status = "RUNNING";
                }
                return view;
            }
            FileState::Ready(file) => file,
        };
        let total = file.ends.len() as u64;
        let sign = |kind: &str, lines: u64, finished: Duration| -> Option<String> {
            (lines > 0)
                .then(|| storage_url(emu, handle, self.id, kind, emu.clock.unix_at(finished) + self.ttl_secs as i64))
        };
        if let Some((at, count)) = self.canceled {
            view.status = if now <= at { "CANCELING" } else { "CANCELED" };
            view.object_count = count;
            view.root_object_count = file.roots(count);
            if now > at {
                view.completed_at = Some(emu.clock.unix_at(at));
                view.url = sign("canceled", count, at);
                view.file_size = view.url.as_ref().map(|_| file.bytes(count));
            }
            return view;
        }
        if now < self.started {
            return view;
        }
        let limit = self.limit(total);
        let count = produced(self.rate, limit, now - self.started);
        view.object_count = count;
        view.root_object_count = file.roots(count);
        if count < limit {
            view.status = "RUNNING";
            return view;
        }
        let finished = self.finished_at(limit);
        view.completed_at = Some(emu.clock.unix_at(finished));
        if self.failing(total) {
            view.status = "FAILED";
            view.error_code = Some("INTERNAL_SERVER_ERROR");
            view.partial_url = sign("partial", count, finished);
        } else {
            view.status = "COMPLETED";
            view.url = sign("final", count, finished);
            view.file_size = view.url.as_ref().map(|_| file.bytes(count));
        }
        view
    }
}

impl BulkStore {
    /// The app's operations as seen now, oldest first.
    pub fn views(&self, emu: &EmulatorState, shop: &Shop, app: App) -> Vec<BulkView> {
        let now = emu.clock.elapsed();
        let granted = shop.scopes_of(app);
        let allowed = |scopes: &Vec<String>| {
            scopes.iter().any(|s| granted.iter().any(|g| g == s || *g == s.replacen("read_", "write_", 1)))
        };
        let mut ops = self.ops.lock().expect("bulk lock");
        for op in ops.iter_mut().filter(|op| op.app == app && !op.denied) {
            if !op.view(now, emu, &shop.config.handle).terminal() && !op.needs.iter().all(allowed) {
                op.denied = true;
            }
        }
        ops.iter().filter(|op| op.app == app).map(|op| op.view(now, emu, &shop.config.handle)).collect()
    }

    /// Every app's operations as seen now, oldest first, for the control endpoint.
    pub fn all(&self, emu: &EmulatorState, shop: &Shop) -> Vec<BulkView> {
        let now = emu.clock.elapsed();
        let ops = self.ops.lock().expect("bulk lock");
        ops.iter().map(|op| op.view(now, emu, &shop.config.handle)).collect()
    }

    /// True while some operation's file is still being written.
    fn writing(&self) -> bool {
        self.ops.lock().expect("bulk lock").iter().any(|op| matches!(op.file, FileState::Writing))
    }

    fn next_id(&self, shop_id: u64) -> u64 {
        let mut last = self.last_id.lock().expect("bulk id lock");
        if *last == 0 {
            *last = 4_400_000_000_000 + mix(shop_id) % 1_000_000_000;
        }
        *last += 1 + mix(*last) % 997;
        *last
    }
}

/// Waits (bounded) until no result file of the shop is still being written, so that what a
/// query reports depends on the clock only.
pub async fn settle(shop: &Shop) {
    for _ in 0..60_000 {
        if !shop.bulk.writing() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// Checks a bulk query as Shopify does before it accepts one.
pub fn check(query: &str, version: &str) -> Result<crate::graphql::validate::Plan, Vec<BulkUserError>> {
    let invalid = |message: String| BulkUserError { code: "INVALID", field: Some(vec!["query".into()]), message };
    let planned = plan(query, None, &json!({}), version)
        .map_err(|errors| errors.into_iter().map(|e| invalid(e.message)).collect::<Vec<_>>())?;
    if planned.kind != OpKind::Query {
        return Err(vec![invalid("Bulk queries must be query operations.".into())]);
    }
    if planned.fields.iter().any(|f| f.name == "node" || f.name == "nodes") {
        return Err(vec![invalid("Bulk queries cannot contain a top level `node` or `nodes` field.".into())]);
    }
    let mut survey = Survey::default();
    let root = SCHEMA.of(&planned.root);
    for f in &planned.fields {
        survey.field(f, root, 0, false, true);
    }
    let mut errors = Vec::new();
    if survey.connections == 0 {
        errors.push(invalid("Bulk queries must contain at least one connection.".into()));
    }
    if survey.connections > 5 {
        errors.push(invalid(format!(
            "Bulk queries cannot contain more than 5 connections; this one has {}.",
            survey.connections
        )));
    }
    if survey.depth > 2 {
        errors.push(invalid("Bulk queries cannot contain connections nested more than 2 levels deep.".into()));
    }
    if survey.in_list {
        errors.push(invalid(
            "Queries that contain a connection field within a list field are not currently supported.".into(),
        ));
    }
    if !survey.with_nodes.is_empty() {
        errors.push(invalid(format!(
            "Bulk queries must select connections as `edges {{ node {{ … }} }}`, not `nodes`. Invalid connection fields: {}",
            survey.with_nodes.join(", ")
        )));
    }
    if !survey.without_id.is_empty() {
        errors.push(invalid(format!(
            "The parent 'node' field for a nested connection must select the 'id' field without an alias and must be of 'Node' type. Invalid connection fields: {}",
            survey.without_id.join(", ")
        )));
    }
    if errors.is_empty() {
        Ok(planned)
    } else {
        Err(errors)
    }
}

/// What a bulk query contains: its connections, how deep they nest, what would break the file.
#[derive(Default)]
struct Survey {
    connections: usize,
    depth: usize,
    in_list: bool,
    with_nodes: Vec<String>,
    without_id: Vec<String>,
    /// Scopes the query needs, each entry one-of.
    access: Vec<Vec<String>>,
}

impl Survey {
    /// `depth`: connections above; `in_list`: under a list field; `line_has_id`: the object whose
    /// line this field lands on selects an unaliased `id`.
    fn field(&mut self, f: &PField, parent: &TypeDef, depth: usize, in_list: bool, line_has_id: bool) {
        let Some(def) = parent.field(&f.name) else { return };
        if let Some(scopes) = &def.access {
            self.access.push(scopes.clone());
        }
        let returns = SCHEMA.of(named(&def.ty));
        for concrete in SCHEMA.concrete(&returns.name) {
            if let Some(scopes) = &SCHEMA.of(concrete).access {
                if !returns.is_abstract() {
                    self.access.push(scopes.clone());
                }
            }
        }
        if returns.is_leaf() {
            return;
        }
        if returns.is_connection() {
            self.connections += 1;
            self.depth = self.depth.max(depth + 1);
            self.in_list |= in_list;
            if depth > 0 && !line_has_id {
                self.without_id.push(f.name.clone());
            }
            if f.children.iter().any(|c| c.name == "nodes") {
                self.with_nodes.push(f.name.clone());
            }
            let edge = returns.field("edges").map(|e| SCHEMA.of(named(&e.ty)));
            for edges in f.children.iter().filter(|c| c.name == "edges") {
                for node in edges.children.iter().filter(|c| c.name == "node") {
                    let Some(node_type) = edge.and_then(|e| e.field("node")).map(|n| SCHEMA.of(named(&n.ty))) else {
                        continue;
                    };
                    let has_id = node.children.iter().any(|c| c.name == "id" && c.key == "id");
                    for child in &node.children {
                        self.field(child, node_type, depth + 1, false, has_id);
                    }
                }
            }
            return;
        }
        let list = is_list(&def.ty);
        for child in &f.children {
            let target = SCHEMA
                .concrete(&returns.name)
                .into_iter()
                .find(|c| child.applies_to(c) && SCHEMA.of(c).field(&child.name).is_some());
            if let Some(target) = target {
                self.field(child, SCHEMA.of(target), depth, in_list || list, line_has_id);
            }
        }
    }
}

/// The scopes a bulk query needs, each entry one-of (an app lacking one sees its operation fail
/// ACCESS_DENIED).
fn needs(plan: &crate::graphql::validate::Plan) -> Vec<Vec<String>> {
    let mut survey = Survey::default();
    let root = SCHEMA.of(&plan.root);
    for f in &plan.fields {
        survey.field(f, root, 0, false, true);
    }
    survey.access
}

/// Starts a bulk query for `app`; the payload's operation or user errors.
#[allow(clippy::too_many_arguments)]
pub fn start(
    emu: &Arc<EmulatorState>,
    shop: &Arc<Shop>,
    ctx: &Ctx<'_>,
    query: &str,
    group_objects: Option<bool>,
) -> Result<BulkView, Vec<BulkUserError>> {
    let version = ctx.version;
    let planned = check(query, version)?;
    let now = emu.clock.elapsed();
    let config: BulkConfig = shop.bulk_config.lock().expect("bulk config lock").clone();
    let concurrency = if version >= "2026-01" { config.concurrency } else { 1 };
    let running: Vec<BulkView> = shop.bulk.views(emu, shop, ctx.app).into_iter().filter(|v| !v.terminal()).collect();
    if running.len() >= concurrency {
        let latest = running.iter().map(|v| v.id).max().unwrap_or_default();
        return Err(vec![BulkUserError {
            code: "OPERATION_IN_PROGRESS",
            field: None,
            message: format!(
                "A bulk query operation for this app and shop is already in progress: gid://shopify/BulkOperation/{latest}."
            ),
        }]);
    }
    // From 2026-01 children need not follow their parents; before, they do unless told otherwise.
    let grouped = group_objects.unwrap_or(version < "2026-01");
    let layout = if grouped { BulkShuffle::None } else { config.shuffle };
    let needs = needs(&planned);
    let is_denied = needs.iter().any(|scopes| !ctx.allowed(scopes));
    let fail_after = shop.faults.lock().expect("faults lock").bulk_fail_after;
    let id = shop.bulk.next_id(ctx.data.shop_id);
    let op = BulkOp {
        id,
        app: ctx.app,
        query: query.to_owned(),
        created: now,
        started: now + Duration::from_millis(config.start_delay_ms),
        rate: config.objects_per_second,
        fail_after,
        needs,
        denied: is_denied,
        canceled: None,
        ttl_secs: config.url_ttl_secs,
        notified: false,
        purged: false,
        file: if is_denied { FileState::Broken } else { FileState::Writing },
    };
    let mut view = op.view(now, emu, &shop.config.handle);
    view.status = "CREATED";
    view.error_code = None;
    view.completed_at = None;
    shop.bulk.ops.lock().expect("bulk lock").push(op);
    if !is_denied {
        let (emu, shop, version, app) = (emu.clone(), shop.clone(), version.to_owned(), ctx.app);
        tokio::task::spawn_blocking(move || {
            let written = write_file(&emu, &shop, app, &version, &planned, layout, id);
            let mut ops = shop.bulk.ops.lock().expect("bulk lock");
            if let Some(op) = ops.iter_mut().find(|op| op.id == id) {
                op.file = match written {
                    Ok(file) => FileState::Ready(Arc::new(file)),
                    Err(err) => {
                        tracing::error!(error = %err, "bulk operation file");
                        FileState::Broken
                    }
                };
            }
        });
    }
    Ok(view)
}

/// Cancels one of the app's operations; it stops where it got to.
pub fn cancel(emu: &EmulatorState, shop: &Shop, app: App, id: u64) -> Result<BulkView, String> {
    let now = emu.clock.elapsed();
    let mut ops = shop.bulk.ops.lock().expect("bulk lock");
    let Some(op) = ops.iter_mut().find(|op| op.id == id && op.app == app) else {
        return Err("Bulk operation does not exist".into());
    };
    let view = op.view(now, emu, &shop.config.handle);
    if view.terminal() || view.status == "CANCELING" {
        return Err(format!("A bulk operation cannot be canceled when it is {}", view.status.to_ascii_lowercase()));
    }
    op.canceled = Some((now, op.count_at(now).unwrap_or(0)));
    Ok(op.view(now, emu, &shop.config.handle))
}

/// Announces every operation that has finished since it was last looked at, with the
/// `bulk_operations/finish` webhook to the app that ran it, and deletes result files whose URLs
/// have expired (what a poll reports stays as it was).
pub fn sweep(emu: &Arc<EmulatorState>) {
    let now = emu.clock.elapsed();
    let unix_now = emu.clock.unix_now();
    for shop in emu.shops.values() {
        for op in shop.bulk.ops.lock().expect("bulk lock").iter_mut().filter(|op| op.notified && !op.purged) {
            let view = op.view(now, emu, &shop.config.handle);
            if let (FileState::Ready(file), Some(done)) = (&op.file, view.completed_at) {
                if unix_now >= done + op.ttl_secs as i64 {
                    let _ = std::fs::remove_file(&file.path);
                    op.purged = true;
                }
            }
        }
        let finished: Vec<(App, BulkView)> = {
            let mut ops = shop.bulk.ops.lock().expect("bulk lock");
            ops.iter_mut()
                .filter(|op| !op.notified && !matches!(op.file, FileState::Writing))
                .filter_map(|op| {
                    let view = op.view(now, emu, &shop.config.handle);
                    view.terminal().then(|| {
                        op.notified = true;
                        (op.app, view)
                    })
                })
                .collect()
        };
        for (app, view) in finished {
            let payload = json!({
                "admin_graphql_api_id": view.gid(),
                "completed_at": view.completed_at.map(utc),
                "created_at": utc(view.created_at),
                "error_code": view.error_code.map(str::to_ascii_lowercase),
                "status": view.status.to_ascii_lowercase(),
                "type": view.kind.to_ascii_lowercase(),
            });
            webhooks::fire_for_app(emu, shop, app, "bulk_operations/finish", &payload, DeliveryOptions::default());
        }
    }
}

/// Sweeps every 25 ms of real time while the emulator lives.
pub fn spawn_sweeper(emu: &Arc<EmulatorState>) {
    let weak = Arc::downgrade(emu);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(25));
        loop {
            tick.tick().await;
            let Some(emu) = weak.upgrade() else { return };
            sweep(&emu);
        }
    });
}

/// Where result files go: one folder per emulator process. The first time, folders left by
/// processes that are gone are removed.
fn folder() -> std::io::Result<PathBuf> {
    static CLEANED: std::sync::Once = std::sync::Once::new();
    CLEANED.call_once(remove_stale_folders);
    let dir = std::env::temp_dir().join(format!("{FOLDER_PREFIX}{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

const FOLDER_PREFIX: &str = "storelink-emulator-";

/// Result folders of emulator processes that no longer run (Linux, where `/proc` says so).
fn remove_stale_folders() {
    if !cfg!(target_os = "linux") {
        return;
    }
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let pid = name.to_str().and_then(|n| n.strip_prefix(FOLDER_PREFIX)).and_then(|p| p.parse::<u32>().ok());
        if let Some(pid) = pid {
            if pid != std::process::id() && !std::path::Path::new(&format!("/proc/{pid}")).exists() {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
}

fn signature(emu: &EmulatorState, key: &str, expires: i64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(&emu.cursor_key).expect("any key length works");
    mac.update(format!("GET\n{key}\n{expires}").as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

fn storage_url(emu: &EmulatorState, handle: &str, id: u64, kind: &str, expires: i64) -> String {
    let key = format!("{handle}-{id}-{kind}");
    let base = emu.storage_base();
    format!(
        "{base}/_storage/bulk/{key}?GoogleAccessId=storelink-emulator%40storelink.iam.gserviceaccount.com&Expires={expires}&Signature={}&response-content-disposition=attachment%3B+filename%3D%22bulk-{id}.jsonl%22%3B+filename%2A%3DUTF-8%27%27bulk-{id}.jsonl&response-content-type=application%2Fjsonl",
        signature(emu, &key, expires)
    )
}

fn gcs_error(status: StatusCode, code: &str, message: &str, details: &str) -> Response {
    let body = format!(
        "<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code><Message>{message}</Message><Details>{details}</Details></Error>"
    );
    let mut response = (status, body).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/xml; charset=UTF-8"));
    response
}

#[derive(serde::Deserialize)]
pub struct Signed {
    #[serde(rename = "Expires")]
    expires: Option<i64>,
    #[serde(rename = "Signature")]
    signature: Option<String>,
}

/// `GET /_storage/bulk/{key}`: a result file, as a signed storage URL serves it.
pub async fn download(
    State(emu): State<Arc<EmulatorState>>,
    Path(key): Path<String>,
    Query(signed): Query<Signed>,
) -> Response {
    let response = serve_file(&emu, &key, &signed);
    let status = response.status().as_u16();
    emu.record(
        crate::LoggedRequest {
            shop: "storage".into(),
            method: "GET".into(),
            path: format!("/_storage/bulk/{key}"),
            status,
        },
        "GET _storage/bulk".into(),
    );
    response
}

fn serve_file(emu: &EmulatorState, key: &str, signed: &Signed) -> Response {
    let no_key = || gcs_error(StatusCode::NOT_FOUND, "NoSuchKey", "The specified key does not exist.", key);
    let (Some(expires), Some(sent)) = (signed.expires, signed.signature.as_deref()) else {
        return gcs_error(
            StatusCode::FORBIDDEN,
            "AccessDenied",
            "Access denied.",
            "Anonymous caller does not have storage.objects.get access.",
        );
    };
    let expected = signature(emu, key, expires);
    if !crate::apps::constant_time_eq(sent, &expected) {
        return gcs_error(
            StatusCode::FORBIDDEN,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
            "Check your credentials and signing method.",
        );
    }
    if emu.clock.unix_now() >= expires {
        return gcs_error(
            StatusCode::FORBIDDEN,
            "AccessDenied",
            "Access denied.",
            &format!("Request has expired: {expires}"),
        );
    }
    let mut parts = key.rsplitn(3, '-');
    let (Some(kind), Some(id), Some(handle)) =
        (parts.next(), parts.next().and_then(|i| i.parse::<u64>().ok()), parts.next())
    else {
        return no_key();
    };
    let Some(shop) = emu.shop(handle) else { return no_key() };
    let now = emu.clock.elapsed();
    let (file, lines) = {
        let ops = shop.bulk.ops.lock().expect("bulk lock");
        let Some(op) = ops.iter().find(|op| op.id == id) else { return no_key() };
        let view = op.view(now, emu, handle);
        let lines = match kind {
            "final" if view.status == "COMPLETED" => view.object_count,
            "partial" if view.status == "FAILED" => view.object_count,
            "canceled" if view.status == "CANCELED" => view.object_count,
            _ => return no_key(),
        };
        let FileState::Ready(file) = &op.file else { return no_key() };
        (file.clone(), lines)
    };
    let size = file.bytes(lines);
    let cut_at = {
        let mut faults = shop.faults.lock().expect("faults lock");
        let cut = faults.cut_download_after.filter(|after| size > *after);
        if cut.is_some() {
            faults.cut_download_after = None;
        }
        cut
    };
    let rate = shop.bulk_config.lock().expect("bulk config lock").download_bytes_per_second;
    // Paced: a tenth of a second's worth a chunk.
    let chunk_size = if rate > 0 { (rate / 10).clamp(1, 256 * 1024) } else { 256 * 1024 };
    let stream = futures::stream::unfold((file, 0u64), move |(file, sent)| async move {
        if sent >= size {
            return None;
        }
        if cut_at.is_some_and(|cut| sent >= cut) {
            // An error ends the body short of its Content-Length: the client sees the
            // connection break.
            return Some((Err(std::io::Error::other("the download was cut (fault)")), (file, size)));
        }
        if rate > 0 && sent > 0 {
            tokio::time::sleep(std::time::Duration::from_secs_f64(chunk_size as f64 / rate as f64)).await;
        }
        let chunk = tokio::task::spawn_blocking({
            let file = file.clone();
            move || -> std::io::Result<Vec<u8>> {
                let mut handle = File::open(&file.path)?;
                handle.seek(SeekFrom::Start(sent))?;
                let end = cut_at.unwrap_or(size).min(size);
                let mut buffer = vec![0; (end - sent).min(chunk_size) as usize];
                handle.read_exact(&mut buffer)?;
                Ok(buffer)
            }
        })
        .await
        .unwrap_or_else(|e| Err(std::io::Error::other(e)));
        match chunk {
            Ok(bytes) => {
                let next = sent + bytes.len() as u64;
                Some((Ok::<_, std::io::Error>(axum::body::Bytes::from(bytes)), (file, next)))
            }
            Err(err) => Some((Err(err), (file, size))),
        }
    });
    let mut response = Response::new(Body::from_stream(stream));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/jsonl"));
    if let Ok(value) =
        HeaderValue::from_str(&format!("attachment; filename=\"bulk-{id}.jsonl\"; filename*=UTF-8''bulk-{id}.jsonl"))
    {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    if let Ok(value) = HeaderValue::from_str(&format!("private, max-age={}", (expires - emu.clock.unix_now()).max(0))) {
        headers.insert(header::CACHE_CONTROL, value);
    }
    response
}

/// Where lines go while a result file is written, laid out as `groupObjects` and the shop's
/// shuffle say.
struct Sink {
    layout: BulkShuffle,
    out: BufWriter<File>,
    path: PathBuf,
    written: u64,
    ends: Vec<u64>,
    roots: Vec<u32>,
    /// `Near`: the lines of the last few roots, written out by depth.
    window: VecDeque<(usize, Vec<u8>)>,
    window_roots: usize,
    /// `Far` and `Before`: one spill file per depth.
    spills: Vec<(BufWriter<File>, PathBuf)>,
}

const NEAR_WINDOW: usize = 8;

impl Sink {
    fn new(path: PathBuf, layout: BulkShuffle) -> std::io::Result<Sink> {
        let out = BufWriter::new(File::create(&path)?);
        Ok(Sink {
            layout,
            out,
            path,
            written: 0,
            ends: Vec::new(),
            roots: Vec::new(),
            window: VecDeque::new(),
            window_roots: 0,
            spills: Vec::new(),
        })
    }

    fn put(&mut self, depth: usize, line: &[u8]) -> std::io::Result<()> {
        self.out.write_all(line)?;
        self.out.write_all(b"\n")?;
        self.written += line.len() as u64 + 1;
        self.ends.push(self.written);
        let before = self.roots.last().copied().unwrap_or(0);
        self.roots.push(before + u32::from(depth == 0));
        Ok(())
    }

    fn emit(&mut self, depth: usize, line: Vec<u8>) -> std::io::Result<()> {
        match self.layout {
            BulkShuffle::None => self.put(depth, &line),
            BulkShuffle::Near => {
                if depth == 0 {
                    if self.window_roots == NEAR_WINDOW {
                        self.flush_window()?;
                    }
                    self.window_roots += 1;
                }
                self.window.push_back((depth, line));
                Ok(())
            }
            BulkShuffle::Far | BulkShuffle::Before => {
                while self.spills.len() <= depth {
                    let path = self.path.with_extension(format!("depth{}", self.spills.len()));
                    self.spills.push((BufWriter::new(File::create(&path)?), path));
                }
                let spill = &mut self.spills[depth].0;
                spill.write_all(&line)?;
                spill.write_all(b"\n")
            }
        }
    }

    fn flush_window(&mut self) -> std::io::Result<()> {
        let mut lines: Vec<(usize, Vec<u8>)> = self.window.drain(..).collect();
        lines.sort_by_key(|(depth, _)| *depth);
        for (depth, line) in lines {
            self.put(depth, &line)?;
        }
        self.window_roots = 0;
        Ok(())
    }

    fn finish(mut self) -> std::io::Result<ResultFile> {
        self.flush_window()?;
        let mut spills = std::mem::take(&mut self.spills);
        if self.layout == BulkShuffle::Before {
            spills.reverse();
        }
        let depths: Vec<usize> = if self.layout == BulkShuffle::Before {
            (0..spills.len()).rev().collect()
        } else {
            (0..spills.len()).collect()
        };
        for ((spill, path), depth) in spills.into_iter().zip(depths) {
            drop(spill.into_inner().map_err(|e| e.into_error())?);
            let text = std::io::BufReader::new(File::open(&path)?);
            for line in std::io::BufRead::split(text, b'\n') {
                self.put(depth, &line?)?;
            }
            let _ = std::fs::remove_file(&path);
        }
        self.out.flush()?;
        Ok(ResultFile { path: self.path, ends: self.ends, roots: self.roots })
    }
}

/// Runs the bulk query over the shop's data, writing the result file.
fn write_file(
    emu: &Arc<EmulatorState>,
    shop: &Arc<Shop>,
    app: App,
    version: &str,
    planned: &crate::graphql::validate::Plan,
    layout: BulkShuffle,
    id: u64,
) -> std::io::Result<ResultFile> {
    // Several emulators may run in one process (tests): each file gets a name of its own.
    let path = folder()?.join(format!("{}-{id}-{:016x}.jsonl", shop.config.handle, rand::random::<u64>()));
    let mut sink = Sink::new(path, layout)?;
    let data = shop.data.read().expect("data lock");
    let subscriptions = super::own_subscriptions(shop, app);
    let ctx = Ctx {
        emu,
        shop,
        app,
        scopes: shop.scopes_of(app),
        data: &data,
        version,
        oldest_order: super::oldest_order(emu, shop, app),
        subscriptions,
        operations: Vec::new(),
        bulk: true,
        deferred: Default::default(),
        errors: Default::default(),
        variants: Default::default(),
        arcs: None,
        applied: Default::default(),
    };
    let root = SCHEMA.of(&planned.root);
    let root_obj = Obj::Record("QueryRoot", Default::default());
    for f in &planned.fields {
        let Some(def) = root.field(&f.name) else { continue };
        let Ok(value) = ctx.resolve(&root_obj, f) else { continue };
        match value {
            Val::Obj(Obj::Connection(conn)) => {
                let typename = named(&def.ty).to_owned();
                ctx.write_connection(&Deferred { field: f.clone(), conn, typename }, None, 0, &mut sink)?
            }
            Val::Obj(obj) => {
                let declared = named(&def.ty);
                ctx.write_node(&obj, declared, &f.children, None, 0, &mut sink)?;
            }
            _ => {}
        }
    }
    drop(data);
    sink.finish()
}

impl<'a> Ctx<'a> {
    fn write_connection(
        &self,
        deferred: &Deferred<'a>,
        parent: Option<&str>,
        depth: usize,
        sink: &mut Sink,
    ) -> std::io::Result<()> {
        let connection = SCHEMA.of(&deferred.typename);
        let node_type = connection.field("nodes").map(|n| named(&n.ty).to_owned()).unwrap_or_else(|| "Node".into());
        let children: Vec<PField> = deferred
            .field
            .children
            .iter()
            .filter(|c| c.name == "edges")
            .flat_map(|edges| edges.children.iter().filter(|c| c.name == "node"))
            .flat_map(|node| node.children.iter().cloned())
            .collect();
        for (_, obj) in &deferred.conn.items {
            self.write_node(obj, &node_type, &children, parent, depth, sink)?;
        }
        Ok(())
    }

    fn write_node(
        &self,
        obj: &Obj<'a>,
        declared: &str,
        children: &[PField],
        parent: Option<&str>,
        depth: usize,
        sink: &mut Sink,
    ) -> std::io::Result<()> {
        let outer = std::mem::take(&mut *self.deferred.borrow_mut());
        let mut path = vec![Step::Key("bulk".into())];
        let line = self.fields(obj, declared, children, &mut path);
        let mine = std::mem::replace(&mut *self.deferred.borrow_mut(), outer);
        let Ok((Out::Obj(mut fields), _)) = line else { return Ok(()) };
        if let Some(parent) = parent {
            fields.push(("__parentId".into(), Out::str(parent)));
        }
        sink.emit(depth, Out::Obj(fields).to_bytes())?;
        let id = obj.gid(self.data);
        for deferred in &mine {
            self.write_connection(deferred, id.as_deref(), depth + 1, sink)?;
        }
        Ok(())
    }
}

impl BulkConfig {
    /// Merges a control-endpoint patch; refuses what does not check.
    pub fn patched(&self, patch: &serde_json::Value) -> Result<BulkConfig, String> {
        let mut merged = serde_json::to_value(self).map_err(|e| e.to_string())?;
        if let (Some(merged), Some(patch)) = (merged.as_object_mut(), patch.as_object()) {
            for (key, value) in patch {
                merged.insert(key.clone(), value.clone());
            }
        }
        let new: BulkConfig = serde_json::from_value(merged).map_err(|e| e.to_string())?;
        new.check()?;
        Ok(new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bulk_queries_are_checked_as_shopify_checks_them() {
        let ok = "{ orders(query: \"updated_at:>'2024-01-01'\") { edges { node { id lineItems { edges { node { id sku } } } } } } }";
        assert!(check(ok, "2026-07").is_ok());
        let messages = |q: &str| check(q, "2026-07").unwrap_err().into_iter().map(|e| e.message).collect::<Vec<_>>();
        assert!(messages("{ shop { id } }")[0].contains("at least one connection"));
        assert!(messages("{ node(id: \"gid://shopify/Order/1\") { id } }")[0].contains("top level"));
        let deep = "{ products { edges { node { id variants { edges { node { id inventoryItem { inventoryLevels { edges { node { id } } } } } } } } } } }";
        assert!(messages(deep)[0].contains("nested more than 2 levels"));
        assert!(messages("{ products { nodes { id } } }")[0].contains("not `nodes`"));
        let no_id = "{ orders { edges { node { name lineItems { edges { node { id } } } } } } }";
        assert!(messages(no_id)[0].contains("must select the 'id' field"));
        assert!(messages("{ orders { edges { node { nope } } } }")[0].contains("doesn't exist"));
    }

    #[test]
    fn progress_follows_the_rate() {
        assert_eq!(produced(0.0, 10, Duration::ZERO), 10);
        assert_eq!(produced(10.0, 100, Duration::from_millis(1500)), 15);
        assert_eq!(produced(10.0, 12, Duration::from_secs(60)), 12);
    }
}
