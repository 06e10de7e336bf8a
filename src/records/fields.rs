//! Reading Shopify's JSON into the columns the pages query. Each field is read leniently, so one
//! odd field makes a refused record with a reason, never a failed page; the JSON is parsed once.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

use super::{raw::RawJson, Resource};

/// Why a record cannot be stored, for the failed-items list.
pub type Malformed = String;

/// A record that was not stored: its id when it has one, and why.
#[derive(Debug)]
pub struct Refused {
    pub id: Option<i64>,
    pub why: Malformed,
}

/// One column's value.
pub enum Cell {
    Int(Option<i64>),
    Text(Option<String>),
    Raw(Vec<u8>),
}

/// The fields the columns come from; everything else stays only in the raw JSON. Each is read
/// leniently, so one odd field makes a failed item with a reason, not a failed page.
#[derive(Deserialize)]
struct Fields<'a> {
    #[serde(borrow)]
    id: Option<&'a RawValue>,
    #[serde(borrow)]
    updated_at: Option<&'a RawValue>,
    #[serde(borrow)]
    created_at: Option<&'a RawValue>,
    #[serde(borrow)]
    name: Option<&'a RawValue>,
    #[serde(borrow)]
    title: Option<&'a RawValue>,
    #[serde(borrow)]
    email: Option<&'a RawValue>,
    #[serde(borrow)]
    first_name: Option<&'a RawValue>,
    #[serde(borrow)]
    last_name: Option<&'a RawValue>,
    #[serde(borrow)]
    variants: Option<&'a RawValue>,
    #[serde(borrow)]
    cancelled_at: Option<&'a RawValue>,
    #[serde(borrow)]
    closed_at: Option<&'a RawValue>,
    #[serde(borrow)]
    fulfillment_status: Option<&'a RawValue>,
    #[serde(borrow)]
    customer: Option<&'a RawValue>,
    #[serde(borrow)]
    shipping_address: Option<&'a RawValue>,
    #[serde(borrow)]
    line_items: Option<&'a RawValue>,
    #[serde(borrow)]
    total_weight: Option<&'a RawValue>,
    #[serde(borrow)]
    total_price: Option<&'a RawValue>,
    #[serde(borrow)]
    location_id: Option<&'a RawValue>,
    #[serde(borrow)]
    inventory_item_id: Option<&'a RawValue>,
    #[serde(borrow)]
    available: Option<&'a RawValue>,
}

fn read<'a, T: Deserialize<'a>>(field: Option<&'a RawValue>) -> Option<T> {
    serde_json::from_str(field?.get()).ok()
}

fn int(field: Option<&RawValue>) -> Option<i64> {
    read(field)
}

/// A non-blank string.
fn text(field: Option<&RawValue>) -> Option<String> {
    read::<Cow<str>>(field).filter(|s| !s.trim().is_empty()).map(Cow::into_owned)
}

fn timestamp(field: Option<&RawValue>) -> Option<i64> {
    OffsetDateTime::parse(&read::<Cow<str>>(field)?, &Rfc3339).ok().map(|t| t.unix_timestamp())
}

fn is_null(field: Option<&RawValue>) -> bool {
    field.is_none_or(|f| f.get() == "null")
}

#[derive(Deserialize)]
struct Person<'a> {
    /// Set on an order's customer.
    #[serde(borrow)]
    id: Option<&'a RawValue>,
    #[serde(borrow)]
    first_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    last_name: Option<Cow<'a, str>>,
}

impl Person<'_> {
    fn full_name(&self) -> Option<String> {
        let name = [&self.first_name, &self.last_name]
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .map(|s| s.as_ref())
            .collect::<Vec<_>>()
            .join(" ");
        (!name.is_empty()).then_some(name)
    }
}

#[derive(Deserialize)]
struct ShipTo<'a> {
    #[serde(borrow)]
    first_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    last_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    name: Option<&'a RawValue>,
    #[serde(borrow)]
    address1: Option<&'a RawValue>,
    #[serde(borrow)]
    city: Option<&'a RawValue>,
    #[serde(borrow)]
    zip: Option<&'a RawValue>,
    #[serde(borrow)]
    country: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Line {
    quantity: Option<i64>,
}

fn id_and_updated(fields: &Fields) -> Result<(i64, i64), Malformed> {
    let id = int(fields.id).filter(|id| *id > 0).ok_or("it has no numeric id")?;
    let updated = timestamp(fields.updated_at).ok_or("its updated_at is not a timestamp")?;
    Ok((id, updated))
}

/// The record's id when it has one (stored or not, for the checkpoint and the failed-items
/// list), and its row or why it cannot be stored. The JSON is read once for both.
pub fn row(resource: Resource, raw: &RawValue) -> (Option<i64>, Result<Vec<Cell>, Malformed>) {
    match serde_json::from_str::<Fields>(raw.get()) {
        Ok(fields) => (int(fields.id), cells(resource, &fields, raw)),
        Err(_) => (None, Err("it is not a JSON object".to_owned())),
    }
}

fn cells(resource: Resource, fields: &Fields, raw: &RawValue) -> Result<Vec<Cell>, Malformed> {
    let raw = || Cell::Raw(RawJson::pack(raw.get()));
    Ok(match resource {
        Resource::Locations => {
            let (id, updated) = id_and_updated(fields)?;
            vec![
                Cell::Int(Some(id)),
                Cell::Text(Some(text(fields.name).unwrap_or_default())),
                Cell::Int(Some(updated)),
                raw(),
            ]
        }
        Resource::Products => {
            let (id, updated) = id_and_updated(fields)?;
            let variants = read::<Vec<&RawValue>>(fields.variants).map_or(0, |v| v.len()) as i64;
            vec![
                Cell::Int(Some(id)),
                Cell::Text(Some(text(fields.title).unwrap_or_default())),
                Cell::Int(Some(variants)),
                Cell::Int(Some(updated)),
                raw(),
            ]
        }
        Resource::Customers => {
            let (id, updated) = id_and_updated(fields)?;
            let person = Person { id: None, first_name: read(fields.first_name), last_name: read(fields.last_name) };
            vec![
                Cell::Int(Some(id)),
                Cell::Text(Some(person.full_name().unwrap_or_default())),
                Cell::Text(text(fields.email)),
                Cell::Int(Some(updated)),
                raw(),
            ]
        }
        Resource::Orders => {
            let (id, updated) = id_and_updated(fields)?;
            let created = timestamp(fields.created_at).ok_or("its created_at is not a timestamp")?;
            let status = if !is_null(fields.cancelled_at) {
                "cancelled"
            } else if !is_null(fields.closed_at) {
                "closed"
            } else {
                "open"
            };
            let ship: Option<ShipTo> = read(fields.shipping_address);
            let ship_to = ship.as_ref().map(|s| {
                [s.name, s.address1, s.city, s.zip, s.country]
                    .into_iter()
                    .filter_map(text)
                    .collect::<Vec<_>>()
                    .join(", ")
            });
            let buyer: Option<Person> = read(fields.customer);
            let customer = buyer.as_ref().and_then(|c| c.full_name()).or_else(|| {
                let s = ship.as_ref()?;
                Person { id: None, first_name: s.first_name.clone(), last_name: s.last_name.clone() }.full_name()
            });
            let items: i64 =
                read::<Vec<Line>>(fields.line_items).map_or(0, |lines| lines.iter().filter_map(|l| l.quantity).sum());
            vec![
                Cell::Int(Some(id)),
                Cell::Text(Some(text(fields.name).unwrap_or_default())),
                Cell::Text(Some(read::<String>(fields.created_at).unwrap_or_default())),
                Cell::Int(Some(created)),
                Cell::Int(Some(updated)),
                Cell::Text(Some(status.to_owned())),
                Cell::Text(text(fields.fulfillment_status)),
                Cell::Text(customer),
                Cell::Int(buyer.and_then(|b| int(b.id))),
                Cell::Text(ship_to),
                Cell::Int(Some(items)),
                Cell::Int(Some(int(fields.total_weight).unwrap_or(0))),
                Cell::Text(Some(text(fields.total_price).unwrap_or_else(|| "0.00".into()))),
                raw(),
            ]
        }
        Resource::InventoryLevels => {
            let (Some(location), Some(item)) = (int(fields.location_id), int(fields.inventory_item_id)) else {
                return Err("it names no location or inventory item".into());
            };
            let updated = timestamp(fields.updated_at).ok_or("its updated_at is not a timestamp")?;
            vec![
                Cell::Int(Some(location)),
                Cell::Int(Some(item)),
                Cell::Int(int(fields.available)),
                Cell::Int(Some(updated)),
                raw(),
            ]
        }
    })
}

#[cfg(test)]
mod tests {
    use serde_json::{value::to_raw_value, Value};

    use super::*;

    #[test]
    fn timestamps_keep_their_offsets_meaning() {
        let raw = |text: &str| to_raw_value(&Value::from(text)).unwrap();
        assert_eq!(timestamp(Some(&raw("2008-01-10T11:00:00-05:00"))), Some(1_199_980_800));
        assert_eq!(timestamp(Some(&raw("yesterday"))), None);
    }
}
