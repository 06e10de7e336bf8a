//! Query cost and the points bucket.
//!
//! The requested cost is worked out from the plan before anything runs (Shopify's published
//! rules, GRAPHQL.md §1.6, made exact where the docs leave a choice):
//!
//! ```text
//! cost(selection on T)  = Σ field(f) for the fields that apply to T;
//!                         for an interface or union, the largest such sum over its object types
//! field(f) =
//!   __typename, a scalar or an enum, PageInfo             0
//!   a connection with first: n or last: n                  2 + n × item
//!       item = cost(edges { … } on the edge type)          (the edge is free; its node costs 1 + …)
//!            + 1 + cost(nodes { … })                       (when nodes is selected)
//!   nodes(ids: […]) on the query root                      len(ids) × (1 + cost(children))
//!   any other object, interface, union or list of them     1 + cost(children)
//!   a mutation's root field                                10 + the connections inside its payload
//! ```
//!
//! The actual cost is the same sum over what was returned: each connection's real number of
//! items instead of `n`, each list's real length, never more than the requested cost. For a
//! mutation that is 10 a root field plus the connections its payload really holds, so one that
//! answers with only `userErrors` costs 10 whatever it asked for (as the fixture
//! `fulfillment-create-user-error.json` shows: requested 23, actual 10). A query
//! whose requested cost is above 1000 is refused (`MAX_COST_EXCEEDED`); one whose requested cost
//! is above the points available is THROTTLED; otherwise the requested cost is taken before it
//! runs and the difference to the actual cost is given back after.

use std::time::Duration;

use super::{
    out::Out,
    schema::{named, Schema, TypeDef, SCHEMA},
    validate::{OpKind, PField, Plan},
};

/// Shopify's ceiling for one query, on every plan.
pub const MAX_COST: f64 = 1000.0;
/// What a mutation's root field costs.
pub const MUTATION_COST: f64 = 10.0;

pub fn requested(plan: &Plan) -> f64 {
    let root = SCHEMA.of(&plan.root);
    match plan.kind {
        OpKind::Query => selection(&plan.fields, root),
        OpKind::Mutation => plan
            .fields
            .iter()
            .map(|f| {
                if f.name == "__typename" {
                    return 0.0;
                }
                let returns = root.field(&f.name).map(|d| named(&d.ty)).unwrap_or("String");
                MUTATION_COST + connections_only(&f.children, SCHEMA.of(returns))
            })
            .sum(),
    }
}

/// The cost of `fields` selected on `parent`.
pub fn selection(fields: &[PField], parent: &TypeDef) -> f64 {
    let schema: &Schema = &SCHEMA;
    if parent.is_abstract() {
        return parent
            .possible
            .iter()
            .map(|concrete| {
                let applying: Vec<PField> = fields.iter().filter(|f| f.applies_to(concrete)).cloned().collect();
                selection(&applying, schema.of(concrete))
            })
            .fold(0.0, f64::max);
    }
    fields.iter().filter(|f| f.applies_to(&parent.name)).map(|f| field(f, parent)).sum()
}

fn field(f: &PField, parent: &TypeDef) -> f64 {
    let schema: &Schema = &SCHEMA;
    let Some(def) = parent.field(&f.name) else { return 0.0 };
    let returns = schema.of(named(&def.ty));
    if returns.is_leaf() || returns.name == "PageInfo" {
        return 0.0;
    }
    if returns.is_connection() {
        let n = f.arg_i64("first").or_else(|| f.arg_i64("last")).unwrap_or(0).max(0) as f64;
        return 2.0 + n * connection_item(f, returns);
    }
    if parent.name == schema.query && f.name == "nodes" {
        let ids = f.args.get("ids").and_then(|v| v.as_array()).map_or(0, Vec::len) as f64;
        return ids * (1.0 + selection(&f.children, returns));
    }
    1.0 + selection(&f.children, returns)
}

/// What one item of a connection costs: its edge's node and its entry in `nodes`.
fn connection_item(f: &PField, connection: &TypeDef) -> f64 {
    let schema: &Schema = &SCHEMA;
    f.children
        .iter()
        .map(|child| {
            let Some(def) = connection.field(&child.name) else { return 0.0 };
            let returns = schema.of(named(&def.ty));
            match child.name.as_str() {
                "edges" => selection(&child.children, returns),
                "nodes" => 1.0 + selection(&child.children, returns),
                _ => 0.0,
            }
        })
        .sum()
}

/// Only the connections inside a mutation's payload cost anything beyond the mutation itself.
fn connections_only(fields: &[PField], parent: &TypeDef) -> f64 {
    let schema: &Schema = &SCHEMA;
    fields
        .iter()
        .map(|f| {
            let Some(def) = parent.field(&f.name) else { return 0.0 };
            let returns = schema.of(named(&def.ty));
            if returns.is_connection() {
                field(f, parent)
            } else if returns.is_leaf() {
                0.0
            } else {
                connections_only(&f.children, returns)
            }
        })
        .sum()
}

/// What a mutation's answer `data` actually cost: 10 a root field, plus each connection inside
/// its payload at the items it returned.
pub fn mutation_actual(plan: &Plan, data: &Out) -> f64 {
    let root = SCHEMA.of(&plan.root);
    plan.fields
        .iter()
        .filter(|f| f.name != "__typename")
        .map(|f| {
            let returns = root.field(&f.name).map(|d| named(&d.ty)).unwrap_or("String");
            MUTATION_COST + returned_connections(&f.children, SCHEMA.of(returns), child(data, &f.key))
        })
        .sum()
}

fn child<'o>(out: &'o Out, key: &str) -> &'o Out {
    match out {
        Out::Obj(fields) => fields.iter().find(|(k, _)| k == key).map_or(&Out::Null, |(_, v)| v),
        _ => &Out::Null,
    }
}

/// [`connections_only`] over what was returned: `out` is the value of an object of type
/// `parent` (or a list of them).
fn returned_connections(fields: &[PField], parent: &TypeDef, out: &Out) -> f64 {
    if let Out::List(items) = out {
        return items.iter().map(|item| returned_connections(fields, parent, item)).sum();
    }
    let schema: &Schema = &SCHEMA;
    fields
        .iter()
        .map(|f| {
            let Some(def) = parent.field(&f.name) else { return 0.0 };
            let returns = schema.of(named(&def.ty));
            let value = child(out, &f.key);
            if *value == Out::Null || returns.is_leaf() {
                0.0
            } else if returns.is_connection() {
                let items = ["nodes", "edges"]
                    .iter()
                    .filter_map(|key| f.children.iter().find(|c| c.name == *key))
                    .map(|c| match child(value, &c.key) {
                        Out::List(items) => items.len(),
                        _ => 0,
                    })
                    .max()
                    .unwrap_or(0);
                2.0 + items as f64 * connection_item(f, returns)
            } else {
                returned_connections(&f.children, returns, value)
            }
        })
        .sum()
}

/// A shop's bucket of GraphQL cost points, restored continuously on the emulator's clock.
#[derive(Debug)]
pub struct PointsBucket {
    pub maximum: f64,
    pub restore_rate: f64,
    available: f64,
    /// The clock reading `available` was worked out at.
    at: Duration,
}

impl PointsBucket {
    pub fn new(maximum: f64, restore_rate: f64) -> PointsBucket {
        PointsBucket { maximum, restore_rate, available: maximum, at: Duration::ZERO }
    }

    fn restore(&mut self, now: Duration) {
        if now > self.at {
            let restored = self.restore_rate * (now - self.at).as_secs_f64();
            self.available = (self.available + restored).min(self.maximum);
            self.at = now;
        }
    }

    pub fn available(&mut self, now: Duration) -> f64 {
        self.restore(now);
        self.available
    }

    /// Takes `cost` points if that many are available at `now`.
    pub fn take(&mut self, now: Duration, cost: f64) -> bool {
        self.restore(now);
        let ok = cost <= self.available;
        if ok {
            self.available -= cost;
        }
        ok
    }

    pub fn refund(&mut self, points: f64) {
        self.available = (self.available + points.max(0.0)).min(self.maximum);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::graphql::validate::plan;

    fn cost(text: &str) -> f64 {
        requested(&plan(text, None, &json!({}), "2026-07").unwrap())
    }

    #[test]
    fn the_formula_prices_objects_connections_and_mutations() {
        assert_eq!(cost("{ shop { id name } }"), 1.0);
        assert_eq!(cost("{ shop { plan { displayName } } }"), 2.0);
        assert_eq!(cost("{ products(first: 10) { pageInfo { hasNextPage } nodes { id } } }"), 12.0);
        assert_eq!(cost("{ products(first: 10) { edges { cursor node { id } } } }"), 12.0);
        assert_eq!(cost("{ orders(first: 5) { nodes { id totalPriceSet { shopMoney { amount } } lineItems(first: 10) { nodes { id } } } } }"), 2.0 + 5.0 * (1.0 + 2.0 + 12.0));
        let node =
            "{ node(id: \"gid://shopify/Order/1\") { id ... on Order { customer { id } } ... on Product { title } } }";
        assert_eq!(cost(node), 2.0);
        assert_eq!(cost("{ nodes(ids: [\"gid://shopify/Order/1\", \"gid://shopify/Order/2\"]) { id } }"), 2.0);
        assert_eq!(cost("mutation { bulkOperationRunQuery(query: \"x\") { bulkOperation { id status } userErrors { field message } } }"), 10.0);
    }

    #[test]
    fn the_bucket_restores_on_the_clock_and_never_overflows() {
        let mut bucket = PointsBucket::new(2000.0, 100.0);
        assert!(bucket.take(Duration::ZERO, 1500.0));
        assert!(!bucket.take(Duration::ZERO, 501.0));
        assert_eq!(bucket.available(Duration::from_millis(1500)), 650.0);
        bucket.refund(100.0);
        assert_eq!(bucket.available(Duration::from_millis(1500)), 750.0);
        assert_eq!(bucket.available(Duration::from_secs(3600)), 2000.0);
    }
}
