//! A page of GraphQL nodes taken apart into the lines a bulk result file would have: each node of
//! a nested connection its own line, with `__parentId` naming the node it hangs from, and the
//! connection left out of its parent. So a record from a bulk file, from a page or from `nodes`
//! is stored the same way.

use std::collections::VecDeque;

use serde_json::{json, value::RawValue, Map, Value};

use super::queries;

/// A connection of one node that has more than the page held: the rest is asked for by itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unfinished {
    pub typename: String,
    pub gid: String,
    pub connection: String,
    pub after: String,
}

/// Asks for the rest of unfinished connections, a page at a time, and keeps what comes back as
/// lines. The caller sends each query (`next_query`) and hands back Shopify's `data` (`answered`).
#[derive(Debug, Default)]
pub struct Finisher {
    queue: VecDeque<Unfinished>,
    pub lines: Vec<Box<RawValue>>,
    /// Connections storelink has no query for (not kept).
    pub skipped: Vec<Unfinished>,
}

impl Finisher {
    pub fn new(unfinished: Vec<Unfinished>) -> Finisher {
        Finisher { queue: unfinished.into(), ..Finisher::default() }
    }

    /// The next query: what it is for, its text and its variables.
    pub fn next_query(&mut self) -> Option<(Unfinished, String, Value)> {
        while let Some(part) = self.queue.pop_front() {
            match queries::children(&part.typename, &part.connection) {
                Some(text) => {
                    let variables = json!({"id": part.gid, "after": part.after});
                    return Some((part, text, variables));
                }
                None => self.skipped.push(part),
            }
        }
        None
    }

    /// Shopify's `data` for the query about `part`.
    pub fn answered(&mut self, part: Unfinished, data: Value) -> Result<(), String> {
        let Some(mut connection) = data.get("node").and_then(|n| n.get(&part.connection)).cloned() else {
            // The node is gone meanwhile: nothing more to fetch.
            return Ok(());
        };
        let (nodes, more) = connection_parts(&mut connection).ok_or("the answer has no connection")?;
        if let Some(after) = more {
            self.queue.push_back(Unfinished { after, ..part.clone() });
        }
        let (lines, deeper) = lines(nodes, Some(&part.gid));
        self.lines.extend(lines);
        self.queue.extend(deeper);
        Ok(())
    }
}

/// The lines of `nodes`, whose parent (when they are themselves the rest of a connection) is
/// `parent`, and the connections still unfinished.
pub fn lines(nodes: Vec<Value>, parent: Option<&str>) -> (Vec<Box<RawValue>>, Vec<Unfinished>) {
    let mut out = Vec::new();
    let mut unfinished = Vec::new();
    for node in nodes {
        if let Value::Object(node) = node {
            take(node, parent, &mut out, &mut unfinished);
        }
    }
    (out, unfinished)
}

/// A connection's nodes, and whether it has another page (with the cursor for it).
fn connection_parts(value: &mut Value) -> Option<(Vec<Value>, Option<String>)> {
    let object = value.as_object_mut()?;
    let nodes = match object.get_mut("nodes")? {
        Value::Array(nodes) => std::mem::take(nodes),
        _ => return None,
    };
    let more = object
        .get("pageInfo")
        .filter(|info| info["hasNextPage"] == true)
        .and_then(|info| info["endCursor"].as_str().map(str::to_owned));
    Some((nodes, more))
}

fn take(
    mut node: Map<String, Value>,
    parent: Option<&str>,
    out: &mut Vec<Box<RawValue>>,
    unfinished: &mut Vec<Unfinished>,
) {
    let gid = node.get("id").and_then(Value::as_str).map(str::to_owned);
    let typename = node.get("__typename").and_then(Value::as_str).unwrap_or_default().to_owned();
    split(&mut node, gid.as_deref(), &typename, out, unfinished);
    if let Some(parent) = parent {
        node.insert("__parentId".into(), Value::String(parent.to_owned()));
    }
    if let Ok(line) = serde_json::value::to_raw_value(&node) {
        out.push(line);
    }
}

/// Takes the connections out of `object` (a node, or an object inside it such as a variant's
/// inventory item): their nodes become lines hanging from the object that holds them.
fn split(
    object: &mut Map<String, Value>,
    gid: Option<&str>,
    typename: &str,
    out: &mut Vec<Box<RawValue>>,
    unfinished: &mut Vec<Unfinished>,
) {
    let keys: Vec<String> = object.keys().cloned().collect();
    for key in keys {
        let Some(value) = object.get_mut(&key) else { continue };
        if let Some((children, more)) = connection_parts(value) {
            object.remove(&key);
            if let (Some(gid), Some(after)) = (gid, more) {
                unfinished.push(Unfinished {
                    typename: typename.to_owned(),
                    gid: gid.to_owned(),
                    connection: key,
                    after,
                });
            }
            for child in children {
                if let Value::Object(child) = child {
                    take(child, gid, out, unfinished);
                }
            }
        } else if let Value::Object(inner) = value {
            let inner_gid = inner.get("id").and_then(Value::as_str).map(str::to_owned);
            let inner_type = inner.get("__typename").and_then(Value::as_str).unwrap_or_default().to_owned();
            split(inner, inner_gid.as_deref(), &inner_type, out, unfinished);
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn nested_connections_become_lines_with_their_parent() {
        let order = json!({
            "__typename": "Order", "id": "gid://shopify/Order/1", "name": "#1001",
            "lineItems": {"pageInfo": {"hasNextPage": true, "endCursor": "c1"},
                          "nodes": [{"__typename": "LineItem", "id": "gid://shopify/LineItem/2"}]},
            "fulfillmentOrders": {"pageInfo": {"hasNextPage": false, "endCursor": "c2"}, "nodes": [
                {"__typename": "FulfillmentOrder", "id": "gid://shopify/FulfillmentOrder/3",
                 "lineItems": {"nodes": [{"__typename": "FulfillmentOrderLineItem", "id": "gid://shopify/FulfillmentOrderLineItem/4"}]}}
            ]}
        });
        let (lines, unfinished) = lines(vec![order], None);
        let lines: Vec<Value> = lines.iter().map(|l| serde_json::from_str(l.get()).unwrap()).collect();
        assert_eq!(lines.len(), 4);
        let by_type = |t: &str| lines.iter().find(|l| l["__typename"] == t).unwrap().clone();
        assert_eq!(by_type("Order"), json!({"__typename": "Order", "id": "gid://shopify/Order/1", "name": "#1001"}));
        assert_eq!(by_type("LineItem")["__parentId"], "gid://shopify/Order/1");
        assert_eq!(by_type("FulfillmentOrderLineItem")["__parentId"], "gid://shopify/FulfillmentOrder/3");
        assert!(by_type("FulfillmentOrder").get("lineItems").is_none());
        assert_eq!(
            unfinished,
            vec![Unfinished {
                typename: "Order".into(),
                gid: "gid://shopify/Order/1".into(),
                connection: "lineItems".into(),
                after: "c1".into()
            }]
        );
    }

    #[test]
    fn a_connection_inside_an_object_hangs_from_that_object() {
        let variant = json!({"__typename": "ProductVariant", "id": "gid://shopify/ProductVariant/5",
            "inventoryItem": {"__typename": "InventoryItem", "id": "gid://shopify/InventoryItem/6", "sku": "S",
                "inventoryLevels": {"pageInfo": {"hasNextPage": true, "endCursor": "x"},
                    "nodes": [{"__typename": "InventoryLevel", "id": "gid://shopify/InventoryLevel/7?inventory_item_id=6"}]}}});
        let (lines, unfinished) = lines(vec![variant], Some("gid://shopify/Product/1"));
        let lines: Vec<Value> = lines.iter().map(|l| serde_json::from_str(l.get()).unwrap()).collect();
        assert_eq!(lines[0]["__parentId"], "gid://shopify/InventoryItem/6");
        assert_eq!(lines[1]["__parentId"], "gid://shopify/Product/1");
        assert_eq!(
            lines[1]["inventoryItem"],
            json!({"__typename": "InventoryItem", "id": "gid://shopify/InventoryItem/6", "sku": "S"})
        );
        assert_eq!(unfinished[0].typename, "InventoryItem");
    }
}
