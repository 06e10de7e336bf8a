//! The GraphQL Admin API: `POST /admin/api/{version}/graphql.json`, every answer read for its
//! errors (401/402/423 over HTTP; THROTTLED, ACCESS_DENIED and MAX_COST_EXCEEDED inside a 200)
//! and for its cost. Each shop has one budget of cost points, shared by every caller of this
//! client (the sync, webhooks, registration, disconnecting): before a query it waits exactly as
//! long as the restore rate needs for the query's cost to be available, so Shopify rarely has to
//! throttle; transient failures are retried with backoff.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use serde::Deserialize;
use serde_json::{value::RawValue, Value};
use tokio::time::Instant;

use super::{
    client::{error_for, transport, ShopifyClient, ShopifyError, API_VERSION},
    pacing::{backoff, PaceEvent, MAX_TRANSIENT_RETRIES},
    ShopDomain,
};
use crate::secrets::Secret;

const MAX_THROTTLED_WAITS: u32 = 30;

/// A query and what storelink expects it to cost (its requested cost, in points).
pub struct Query<'a> {
    pub text: &'a str,
    pub variables: Value,
    pub cost: f64,
}

/// What an answer cost, and the bucket after it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cost {
    pub requested_query_cost: Option<f64>,
    pub actual_query_cost: Option<f64>,
    pub throttle_status: Option<ThrottleStatus>,
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThrottleStatus {
    pub maximum_available: f64,
    pub currently_available: f64,
    pub restore_rate: f64,
}

/// A successful answer: `data` as Shopify wrote it, and its cost.
pub struct Answer {
    pub data: Box<RawValue>,
    pub cost: Cost,
}

impl Answer {
    /// `data` read as `T`.
    pub fn read<'a, T: Deserialize<'a>>(&'a self) -> Result<T, ShopifyError> {
        serde_json::from_str(self.data.get()).map_err(|e| ShopifyError::BadResponse(e.to_string()))
    }
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    data: Option<&'a RawValue>,
    #[serde(default)]
    errors: Vec<GraphQlError>,
    #[serde(default)]
    extensions: Extensions,
}

#[derive(Deserialize, Default)]
struct Extensions {
    #[serde(default)]
    cost: Option<Cost>,
}

#[derive(Deserialize)]
struct GraphQlError {
    message: String,
    #[serde(default)]
    extensions: Option<ErrorExtensions>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ErrorExtensions {
    code: Option<String>,
    required_access: Option<String>,
}

/// The scope an ACCESS_DENIED names: "`read_orders` access scope." → `read_orders`.
fn denied_scope(error: &GraphQlError) -> String {
    let text = error.extensions.as_ref().and_then(|e| e.required_access.as_deref()).unwrap_or(&error.message);
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .find(|w| w.starts_with("read_") || w.starts_with("write_"))
        .unwrap_or_default()
        .to_owned()
}

/// What a 200 answer means.
fn read_answer(body: &[u8], estimate: f64) -> Result<Answer, ShopifyError> {
    let envelope: Envelope = serde_json::from_slice(body).map_err(|e| ShopifyError::BadResponse(e.to_string()))?;
    let cost = envelope.extensions.cost.unwrap_or_default();
    let code = |e: &GraphQlError| e.extensions.as_ref().and_then(|x| x.code.clone()).unwrap_or_default();
    if let Some(error) = envelope.errors.first() {
        match code(error).as_str() {
            "THROTTLED" => return Err(ShopifyError::Throttled { retry_after_ms: refill_ms(&cost, estimate) }),
            "MAX_COST_EXCEEDED" => return Err(ShopifyError::TooCostly(error.message.clone())),
            _ => {}
        }
        if let Some(denied) = envelope.errors.iter().find(|e| code(e) == "ACCESS_DENIED") {
            return Err(ShopifyError::Forbidden { scope: denied_scope(denied) });
        }
        if envelope.data.is_none_or(|d| d.get() == "null") {
            return Err(ShopifyError::Unprocessable(error.message.clone()));
        }
    }
    let data = envelope.data.ok_or_else(|| ShopifyError::BadResponse("the answer has no data".into()))?;
    Ok(Answer { data: data.to_owned(), cost })
}

/// How long until `estimate` points are back, from a throttled answer's status.
fn refill_ms(cost: &Cost, estimate: f64) -> u64 {
    let Some(status) = cost.throttle_status else { return 1000 };
    let wanted = cost.requested_query_cost.unwrap_or(estimate).max(estimate);
    let missing = (wanted - status.currently_available).max(0.0);
    ((missing / status.restore_rate.max(1.0)) * 1000.0).ceil().max(1000.0) as u64
}

/// One shop's budget of cost points, as its last answer reported it and restored since.
#[derive(Debug, Default)]
pub struct Budget {
    state: tokio::sync::Mutex<Option<Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    available: f64,
    maximum: f64,
    restore_rate: f64,
    at: Instant,
}

impl Bucket {
    fn now(self) -> Bucket {
        let restored = self.at.elapsed().as_secs_f64() * self.restore_rate;
        Bucket { available: (self.available + restored).min(self.maximum), at: Instant::now(), ..self }
    }
}

impl Budget {
    /// Waits until `cost` points are available and sets them aside for the query about to go;
    /// returns how long it waited. Before the first answer nothing is known and nothing waits.
    async fn take(&self, cost: f64) -> Duration {
        let mut waited = Duration::ZERO;
        loop {
            let mut state = self.state.lock().await;
            let Some(bucket) = state.map(Bucket::now) else { return waited };
            // A query dearer than the whole bucket can only wait for a full one.
            let cost = cost.min(bucket.maximum);
            if bucket.available >= cost {
                *state = Some(Bucket { available: bucket.available - cost, ..bucket });
                return waited;
            }
            let wait = Duration::from_secs_f64((cost - bucket.available) / bucket.restore_rate.max(1.0));
            *state = Some(bucket);
            drop(state);
            tokio::time::sleep(wait).await;
            waited += wait;
        }
    }

    /// What an answer said the bucket holds now.
    async fn observe(&self, status: ThrottleStatus) {
        *self.state.lock().await = Some(Bucket {
            available: status.currently_available,
            maximum: status.maximum_available,
            restore_rate: status.restore_rate,
            at: Instant::now(),
        });
    }

    /// Points available now, for tests and progress.
    pub async fn available(&self) -> Option<f64> {
        self.state.lock().await.map(|b| b.now().available)
    }
}

/// Every shop's budget, shared by the clones of one client.
#[derive(Debug, Default, Clone)]
pub struct Budgets(Arc<Mutex<HashMap<String, Arc<Budget>>>>);

impl Budgets {
    pub fn of(&self, shop: &ShopDomain) -> Arc<Budget> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).entry(shop.as_str().to_owned()).or_default().clone()
    }

    /// Each shop's points available now, as far as this server knows.
    pub async fn available(&self) -> Vec<(String, f64)> {
        let budgets: Vec<(String, Arc<Budget>)> = self
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(shop, b)| (shop.clone(), b.clone()))
            .collect();
        let mut available = Vec::new();
        for (shop, budget) in budgets {
            if let Some(points) = budget.available().await {
                available.push((shop, points));
            }
        }
        available
    }
}

impl ShopifyClient {
    /// One GraphQL query or mutation, paced by the shop's budget, transient failures retried.
    pub async fn graphql(
        &self,
        shop: &ShopDomain,
        token: &Secret,
        query: &Query<'_>,
        events: &mut (dyn FnMut(PaceEvent) + Send),
    ) -> Result<Answer, ShopifyError> {
        self.paced(shop, token, query, events, MAX_TRANSIENT_RETRIES).await
    }

    /// The same for a person waiting on the answer (registration): paced, but a transient failure
    /// is their answer at once rather than after retries.
    pub async fn graphql_without_retry(
        &self,
        shop: &ShopDomain,
        token: &Secret,
        query: &Query<'_>,
    ) -> Result<Answer, ShopifyError> {
        self.paced(shop, token, query, &mut |_| {}, 0).await
    }

    async fn paced(
        &self,
        shop: &ShopDomain,
        token: &Secret,
        query: &Query<'_>,
        events: &mut (dyn FnMut(PaceEvent) + Send),
        retries: u32,
    ) -> Result<Answer, ShopifyError> {
        let budget = self.budgets.of(shop);
        let body = serde_json::json!({"query": query.text, "variables": query.variables});
        let (mut transient, mut throttled) = (0u32, 0u32);
        loop {
            let waited = budget.take(query.cost).await;
            if !waited.is_zero() {
                events(PaceEvent::WaitedForRateLimit { millis: waited.as_millis() as u64 });
            }
            match self.graphql_once(shop, token, &body, query.cost).await {
                Ok(answer) => {
                    if let Some(status) = answer.cost.throttle_status {
                        budget.observe(status).await;
                    }
                    crate::metrics::SHOPIFY_POINTS
                        .add(answer.cost.actual_query_cost.unwrap_or_default().round() as u64);
                    return Ok(answer);
                }
                Err(ShopifyError::Throttled { retry_after_ms }) if throttled < MAX_THROTTLED_WAITS => {
                    crate::metrics::SHOPIFY_THROTTLED.inc();
                    throttled += 1;
                    events(PaceEvent::WaitedForRateLimit { millis: retry_after_ms });
                    tokio::time::sleep(Duration::from_millis(retry_after_ms)).await;
                }
                Err(err) if err.is_transient() && transient < retries => {
                    transient += 1;
                    events(PaceEvent::Retried { attempt: transient, reason: err.to_string() });
                    tokio::time::sleep(backoff(transient)).await;
                }
                Err(err) => return Err(err),
            }
        }
    }

    async fn graphql_once(
        &self,
        shop: &ShopDomain,
        token: &Secret,
        body: &Value,
        estimate: f64,
    ) -> Result<Answer, ShopifyError> {
        let path = format!("/admin/api/{API_VERSION}/graphql.json");
        let mut request = self
            .http
            .post(self.url(shop, &path))
            .json(body)
            .header("x-shopify-access-token", token.expose())
            .header(reqwest::header::ACCEPT, "application/json");
        if self.base_override.is_some() {
            request = request.header(reqwest::header::HOST, shop.as_str());
        }
        crate::metrics::SHOPIFY_REQUESTS.inc();
        let response = request.send().await.map_err(transport)?;
        let status = response.status();
        let headers = response.headers().clone();
        if let Some(reason) = headers.get("x-shopify-api-deprecated-reason").and_then(|v| v.to_str().ok()) {
            tracing::warn!(shop = %shop, reason, "Shopify reports deprecated API usage");
        }
        let bytes = response.bytes().await.map_err(transport)?;
        if status.is_success() {
            return read_answer(&bytes, estimate);
        }
        Err(error_for(status, &headers, &bytes))
    }

    /// A bulk operation's result file: a plain GET of the signed URL as given, with no Shopify
    /// header and no token (it is another host's URL), read as a stream.
    pub async fn download(&self, url: &str) -> Result<reqwest::Response, ShopifyError> {
        let response = self.download.get(url).send().await.map_err(transport)?;
        match response.status().as_u16() {
            200..=299 => Ok(response),
            // Storage answers 403 (signature) or 404 once a URL has expired.
            403 | 404 | 410 => Err(ShopifyError::Expired),
            code if code >= 500 => Err(ShopifyError::Server(code)),
            code => Err(ShopifyError::BadResponse(format!("the result file answered {code}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(text: &str) -> Result<Answer, ShopifyError> {
        read_answer(text.as_bytes(), 50.0)
    }

    #[test]
    fn errors_inside_a_200_become_typed_errors() {
        let throttled = r#"{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED"}}],
            "extensions":{"cost":{"requestedQueryCost":70,"actualQueryCost":null,
            "throttleStatus":{"maximumAvailable":1000,"currentlyAvailable":66,"restoreRate":50}}}}"#;
        assert_eq!(answer(throttled).err(), Some(ShopifyError::Throttled { retry_after_ms: 1000 }));
        let denied = r#"{"data":{"orders":null},"errors":[{"message":"Access denied for orders field. Required access: `read_orders` access scope.",
            "extensions":{"code":"ACCESS_DENIED","requiredAccess":"`read_orders` access scope."}}]}"#;
        assert_eq!(answer(denied).err(), Some(ShopifyError::Forbidden { scope: "read_orders".into() }));
        let costly = r#"{"errors":[{"message":"Query cost is 1002, which exceeds the single query max cost limit (1000).","extensions":{"code":"MAX_COST_EXCEEDED","cost":1002,"maxCost":1000}}]}"#;
        assert!(matches!(answer(costly), Err(ShopifyError::TooCostly(_))));
        let invalid = r#"{"errors":[{"message":"Field 'x' doesn't exist on type 'Order'"}],"data":null}"#;
        assert!(matches!(answer(invalid), Err(ShopifyError::Unprocessable(_))));
        let fine = r#"{"data":{"shop":{"name":"A"}},"extensions":{"cost":{"requestedQueryCost":1,"actualQueryCost":1,
            "throttleStatus":{"maximumAvailable":2000.0,"currentlyAvailable":1999,"restoreRate":100.0}}}}"#;
        let fine = answer(fine).unwrap();
        assert_eq!(fine.cost.throttle_status.unwrap().currently_available, 1999.0);
    }

    #[test]
    fn a_throttled_query_waits_for_the_points_it_lacks() {
        let cost = Cost {
            requested_query_cost: Some(500.0),
            actual_query_cost: None,
            throttle_status: Some(ThrottleStatus {
                maximum_available: 2000.0,
                currently_available: 100.0,
                restore_rate: 100.0,
            }),
        };
        assert_eq!(refill_ms(&cost, 500.0), 4000);
    }

    #[tokio::test(start_paused = true)]
    async fn the_budget_waits_exactly_for_the_restore_rate() {
        let budget = Budget::default();
        assert_eq!(budget.take(900.0).await, Duration::ZERO, "nothing known yet");
        budget
            .observe(ThrottleStatus { maximum_available: 2000.0, currently_available: 100.0, restore_rate: 100.0 })
            .await;
        assert_eq!(budget.take(50.0).await, Duration::ZERO);
        // 50 left; 250 more takes 2.5 s at 100 a second.
        assert_eq!(budget.take(300.0).await, Duration::from_millis(2500));
        assert!(budget.available().await.unwrap() < 1.0);
    }
}
