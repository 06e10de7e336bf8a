//! Records turned into their tables' rows: one cell a column, in `repo::table` order (the key's
//! first), each record stamped with when it was written (`synced_at`).

use std::collections::{BTreeMap, BTreeSet};

use super::{
    model::{Batch, Record, Refused},
    raw::RawJson,
    Part,
};

/// One column's value.
pub enum Cell {
    Int(Option<i64>),
    Text(Option<String>),
    Raw(Vec<u8>),
}

/// The kinds of record storelink keeps, each in its own table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Location,
    Product,
    Variant,
    Level,
    Customer,
    Order,
    Line,
    FulfillmentOrder,
    FulfillmentOrderLine,
}

/// Products and orders, by kind.
pub type Parents = BTreeMap<Kind, BTreeSet<i64>>;

/// A batch's records as rows, for `repo::prepare`.
#[derive(Default)]
pub(super) struct Rows {
    pub(super) rows: BTreeMap<Kind, Vec<Vec<Cell>>>,
    /// The products and orders among the records.
    parents: Parents,
    /// The products and orders the variants and line items among the records belong to.
    children_of: Parents,
    /// The records refused as malformed; nothing of theirs is written.
    pub(super) refused: Vec<Refused>,
    /// Records, per part of a sync that counts them.
    pub(super) counted: BTreeMap<Part, i64>,
}

fn int(value: i64) -> Cell {
    Cell::Int(Some(value))
}

fn text(value: String) -> Cell {
    Cell::Text(Some(value))
}

fn raw(json: &str) -> Cell {
    Cell::Raw(RawJson::pack(json))
}

impl Rows {
    /// The batch's records as rows, all written `now`.
    pub(super) fn of(batch: Batch, now: i64) -> Rows {
        let mut rows = Rows { refused: batch.refused, ..Rows::default() };
        for record in batch.records {
            if let Some(part) = record.counted_in() {
                *rows.counted.entry(part).or_default() += 1;
            }
            let (kind, cells) = match record {
                Record::Location(l) => (Kind::Location, vec![int(l.id), text(l.name), int(now), int(now), raw(&l.raw)]),
                Record::Product(p) => {
                    rows.parents.entry(Kind::Product).or_default().insert(p.id);
                    (Kind::Product, vec![int(p.id), text(p.title), int(0), int(p.updated_at), int(now), raw(&p.raw)])
                }
                Record::Variant(v) => {
                    rows.children_of.entry(Kind::Product).or_default().insert(v.product_id);
                    let cells = vec![
                        int(v.id),
                        int(v.product_id),
                        text(v.title),
                        Cell::Text(v.sku),
                        Cell::Int(v.inventory_item_id),
                        Cell::Int(v.weight_grams),
                        int(v.updated_at),
                        int(now),
                        raw(&v.raw),
                    ];
                    (Kind::Variant, cells)
                }
                Record::Level(l) => {
                    let cells = vec![
                        int(l.location_id),
                        int(l.inventory_item_id),
                        Cell::Int(l.available),
                        int(l.updated_at),
                        int(now),
                        raw(&l.raw),
                    ];
                    (Kind::Level, cells)
                }
                Record::Customer(c) => (
                    Kind::Customer,
                    vec![int(c.id), text(c.name), Cell::Text(c.email), int(c.updated_at), int(now), raw(&c.raw)],
                ),
                Record::Order(o) => {
                    rows.parents.entry(Kind::Order).or_default().insert(o.id);
                    let cells = vec![
                        int(o.id),
                        text(o.name),
                        text(o.created_at_text),
                        int(o.created_at),
                        int(o.updated_at),
                        text(o.status.key().to_owned()),
                        Cell::Text(o.platform_status),
                        Cell::Text(o.customer_name),
                        Cell::Int(o.customer_id),
                        Cell::Text(o.ship_to),
                        Cell::Text(o.ship_to_country),
                        int(0),
                        int(o.total_weight_grams),
                        text(o.total_price),
                        Cell::Text(o.shipping_method),
                        int(now),
                        raw(&o.raw),
                    ];
                    (Kind::Order, cells)
                }
                Record::Line(l) => {
                    rows.children_of.entry(Kind::Order).or_default().insert(l.order_id);
                    let cells = vec![
                        int(l.id),
                        int(l.order_id),
                        text(l.title),
                        Cell::Text(l.sku),
                        int(l.quantity),
                        int(now),
                        raw(&l.raw),
                    ];
                    (Kind::Line, cells)
                }
                Record::Unit(u) => {
                    let cells = vec![
                        int(u.id),
                        int(u.order_id),
                        text(u.status),
                        Cell::Int(u.location_id),
                        Cell::Text(u.location_name),
                        int(u.updated_at),
                        int(now),
                        raw(&u.raw),
                    ];
                    (Kind::FulfillmentOrder, cells)
                }
                Record::UnitLine(l) => {
                    // Without the platform's count, what remains is the total less storelink's
                    // own shipments (`repo` takes those off when it writes the row).
                    let counts_here = l.remaining_quantity.is_none();
                    let cells = vec![
                        int(l.id),
                        int(l.unit_id),
                        Cell::Int(l.line_item_id),
                        int(l.total_quantity),
                        int(l.remaining_quantity.unwrap_or(l.total_quantity)),
                        int(counts_here as i64),
                        Cell::Int(l.unit_weight_grams),
                        int(now),
                        raw(&l.raw),
                    ];
                    (Kind::FulfillmentOrderLine, cells)
                }
            };
            rows.rows.entry(kind).or_default().push(cells);
        }
        rows
    }

    /// The products and orders whose variants or line items are among the records without them:
    /// written before, they count their children again once these are written.
    pub(super) fn uncounted(&self) -> Parents {
        self.children_of
            .iter()
            .map(|(kind, ids)| {
                let written = self.parents.get(kind);
                (*kind, ids.iter().filter(|id| !written.is_some_and(|w| w.contains(id))).copied().collect())
            })
            .collect()
    }
}
