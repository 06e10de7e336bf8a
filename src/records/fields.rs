//! Reading Shopify's GraphQL nodes into the columns the pages query. A node is one line of a
//! bulk result file, or one node taken out of a page (`graphql::lines`): its `__typename` says
//! which table it goes to and `__parentId` which record it belongs to. Each field is read
//! leniently, so one odd field refuses that node with a reason, never the batch.

use std::{
    borrow::Cow,
    collections::{BTreeMap, BTreeSet},
};

use serde::Deserialize;
use serde_json::value::RawValue;
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

use super::{raw::RawJson, Part};

/// An order's `shippingAddress` as Shopify's GraphQL gives it, in storelink's own shape.
pub fn ship_to(raw: &serde_json::Value) -> Option<super::ShipTo> {
    let address = raw.get("shippingAddress").filter(|a| a.is_object())?;
    let text = |key: &str| address.get(key).and_then(|v| v.as_str()).map(str::to_owned);
    Some(super::ShipTo {
        name: text("name"),
        company: text("company"),
        address1: text("address1"),
        address2: text("address2"),
        city: text("city"),
        province: text("province"),
        province_code: text("provinceCode"),
        postal_code: text("zip"),
        country: text("country"),
        country_code: text("countryCodeV2"),
        phone: text("phone"),
    })
}

/// Why a node cannot be stored, for the failed-items list.
pub type Malformed = String;

/// A node that was not stored: its id when it has one, and why.
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

/// The kinds of node storelink keeps, each in its own table.
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

impl Kind {
    fn from_typename(name: &str) -> Option<Kind> {
        Some(match name {
            "Location" => Kind::Location,
            "Product" => Kind::Product,
            "ProductVariant" => Kind::Variant,
            "InventoryLevel" => Kind::Level,
            "Customer" => Kind::Customer,
            "Order" => Kind::Order,
            "LineItem" => Kind::Line,
            "FulfillmentOrder" => Kind::FulfillmentOrder,
            "FulfillmentOrderLineItem" => Kind::FulfillmentOrderLine,
            _ => return None,
        })
    }

    /// The part of a sync whose progress counts this kind of node.
    pub fn counted_in(self) -> Option<Part> {
        match self {
            Kind::Location => Some(Part::Locations),
            Kind::Product => Some(Part::Products),
            Kind::Level => Some(Part::InventoryLevels),
            Kind::Customer => Some(Part::Customers),
            Kind::Order => Some(Part::Orders),
            Kind::FulfillmentOrder => Some(Part::FulfillmentOrders),
            _ => None,
        }
    }
}

/// A node read into its table's columns (in `repo::table` order, the key's first).
pub struct Node {
    pub kind: Kind,
    pub id: Option<i64>,
    /// The parent record's id, for the aggregates of its columns.
    pub parent: Option<i64>,
    pub cells: Vec<Cell>,
}

/// Products and orders, by kind.
pub type Parents = BTreeMap<Kind, BTreeSet<i64>>;

/// Lines read into their tables' rows, for `repo::prepare`.
#[derive(Default)]
pub(super) struct Nodes {
    pub(super) rows: BTreeMap<Kind, Vec<Vec<Cell>>>,
    /// The products and orders among the nodes.
    parents: Parents,
    /// The products and orders the variants and line items among the nodes belong to.
    children_of: Parents,
    /// The nodes refused as malformed; nothing of theirs is written.
    pub(super) refused: Vec<Refused>,
    /// Nodes read, per part of a sync that counts them.
    pub(super) counted: BTreeMap<Part, i64>,
}

impl Nodes {
    /// Reads lines of a bulk file, or a page taken apart, all stamped `now` (their `synced_at`).
    pub(super) fn read(lines: &[&RawValue], now: i64) -> Nodes {
        let mut nodes = Nodes::default();
        for line in lines {
            match node(line, now) {
                Ok(None) => {}
                Ok(Some(node)) => {
                    if let Some(part) = node.kind.counted_in() {
                        *nodes.counted.entry(part).or_default() += 1;
                    }
                    match (node.kind, node.parent, node.id) {
                        (Kind::Variant, Some(product), _) => {
                            nodes.children_of.entry(Kind::Product).or_default().insert(product)
                        }
                        (Kind::Line, Some(order), _) => nodes.children_of.entry(Kind::Order).or_default().insert(order),
                        (Kind::Product | Kind::Order, _, Some(id)) => {
                            nodes.parents.entry(node.kind).or_default().insert(id)
                        }
                        _ => false,
                    };
                    nodes.rows.entry(node.kind).or_default().push(node.cells);
                }
                Err(refused) => nodes.refused.push(refused),
            }
        }
        nodes
    }

    /// The products and orders whose variants or line items are among the nodes without them:
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

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Fields<'a> {
    #[serde(borrow, rename = "__typename")]
    typename: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "__parentId")]
    parent_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    updated_at: Option<&'a RawValue>,
    #[serde(borrow)]
    created_at: Option<&'a RawValue>,
    #[serde(borrow)]
    name: Option<&'a RawValue>,
    #[serde(borrow)]
    title: Option<&'a RawValue>,
    #[serde(borrow)]
    display_name: Option<&'a RawValue>,
    #[serde(borrow)]
    first_name: Option<&'a RawValue>,
    #[serde(borrow)]
    last_name: Option<&'a RawValue>,
    #[serde(borrow)]
    email: Option<&'a RawValue>,
    #[serde(borrow)]
    sku: Option<&'a RawValue>,
    #[serde(borrow)]
    quantity: Option<&'a RawValue>,
    #[serde(borrow)]
    cancelled_at: Option<&'a RawValue>,
    #[serde(borrow)]
    closed: Option<&'a RawValue>,
    #[serde(borrow)]
    closed_at: Option<&'a RawValue>,
    #[serde(borrow)]
    display_fulfillment_status: Option<&'a RawValue>,
    #[serde(borrow)]
    total_weight: Option<&'a RawValue>,
    #[serde(borrow)]
    total_price_set: Option<&'a RawValue>,
    #[serde(borrow)]
    customer: Option<&'a RawValue>,
    #[serde(borrow)]
    shipping_address: Option<&'a RawValue>,
    #[serde(borrow)]
    shipping_line: Option<&'a RawValue>,
    #[serde(borrow)]
    inventory_item: Option<&'a RawValue>,
    #[serde(borrow)]
    location: Option<&'a RawValue>,
    #[serde(borrow)]
    item: Option<&'a RawValue>,
    #[serde(borrow)]
    quantities: Option<&'a RawValue>,
    #[serde(borrow)]
    status: Option<&'a RawValue>,
    #[serde(borrow)]
    assigned_location: Option<&'a RawValue>,
    #[serde(borrow)]
    total_quantity: Option<&'a RawValue>,
    #[serde(borrow)]
    remaining_quantity: Option<&'a RawValue>,
    #[serde(borrow)]
    weight: Option<&'a RawValue>,
    #[serde(borrow)]
    line_item: Option<&'a RawValue>,
    #[serde(borrow)]
    order_id: Option<Cow<'a, str>>,
}

fn read<'a, T: Deserialize<'a>>(field: Option<&'a RawValue>) -> Option<T> {
    serde_json::from_str(field?.get()).ok()
}

/// A non-blank string.
fn text(field: Option<&RawValue>) -> Option<String> {
    read::<Cow<str>>(field).filter(|s| !s.trim().is_empty()).map(Cow::into_owned)
}

/// An integer, also when GraphQL writes it as a string (UnsignedInt64).
fn int(field: Option<&RawValue>) -> Option<i64> {
    read::<i64>(field).or_else(|| read::<Cow<str>>(field)?.parse().ok())
}

fn timestamp(field: Option<&RawValue>) -> Option<i64> {
    OffsetDateTime::parse(&read::<Cow<str>>(field)?, &Rfc3339).ok().map(|t| t.unix_timestamp())
}

fn is_null(field: Option<&RawValue>) -> bool {
    field.is_none_or(|f| f.get() == "null")
}

/// The numeric id a gid ends in: `gid://shopify/Order/123` (or `…/123?inventory_item_id=…`).
pub fn gid_number(gid: &str) -> Option<i64> {
    let tail = gid.strip_prefix("gid://shopify/")?.split('/').nth(1)?;
    tail.split('?').next()?.parse().ok().filter(|id| *id > 0)
}

/// `{ "id": gid }` → the number.
fn object_id(field: Option<&RawValue>) -> Option<i64> {
    #[derive(Deserialize)]
    struct WithId<'a> {
        #[serde(borrow)]
        id: Option<Cow<'a, str>>,
    }
    gid_number(&read::<WithId>(field)?.id?)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Person<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    display_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    first_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    last_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    address1: Option<Cow<'a, str>>,
    #[serde(borrow)]
    city: Option<Cow<'a, str>>,
    #[serde(borrow)]
    zip: Option<Cow<'a, str>>,
    #[serde(borrow)]
    country: Option<Cow<'a, str>>,
}

fn joined<'a>(parts: impl IntoIterator<Item = &'a Option<Cow<'a, str>>>, separator: &str) -> Option<String> {
    let text =
        parts.into_iter().flatten().map(|s| s.trim()).filter(|s| !s.is_empty()).collect::<Vec<_>>().join(separator);
    (!text.is_empty()).then_some(text)
}

impl Person<'_> {
    fn full_name(&self) -> Option<String> {
        let named = [&self.display_name, &self.name].into_iter().flatten().find(|n| !n.trim().is_empty());
        named.map(|n| n.trim().to_owned()).or_else(|| joined([&self.first_name, &self.last_name], " "))
    }

    fn one_line(&self) -> Option<String> {
        let name = self.full_name().map(Cow::Owned);
        joined([&name, &self.address1, &self.city, &self.zip, &self.country], ", ")
    }
}

/// A weight in grams, from `{unit, value}`.
fn grams(field: Option<&RawValue>) -> Option<i64> {
    #[derive(Deserialize)]
    struct Weight<'a> {
        #[serde(borrow)]
        unit: Cow<'a, str>,
        value: f64,
    }
    let weight: Weight = read(field)?;
    let per_unit = match weight.unit.as_ref() {
        "KILOGRAMS" => 1000.0,
        "GRAMS" => 1.0,
        "POUNDS" => 453.592_37,
        "OUNCES" => 28.349_523_125,
        _ => return None,
    };
    Some((weight.value * per_unit).round() as i64)
}

/// The available quantity of an inventory level's `quantities`.
fn available(field: Option<&RawValue>) -> Option<i64> {
    #[derive(Deserialize)]
    struct Quantity<'a> {
        #[serde(borrow)]
        name: Cow<'a, str>,
        quantity: Option<i64>,
    }
    read::<Vec<Quantity>>(field)?.into_iter().find(|q| q.name == "available").and_then(|q| q.quantity)
}

/// Nodes that only carry others (an inventory item fetched for its levels): not stored.
const CARRIERS: [&str; 1] = ["InventoryItem"];

/// A node's columns (`None` for a carrier), or why it cannot be stored. The JSON is read once.
pub fn node(line: &RawValue, now: i64) -> Result<Option<Node>, Refused> {
    let refused = |id, why: &str| Refused { id, why: why.to_owned() };
    let fields: Fields = serde_json::from_str(line.get()).map_err(|_| refused(None, "it is not a JSON object"))?;
    let id = fields.id.as_deref().and_then(gid_number);
    if fields.typename.as_deref().is_some_and(|t| CARRIERS.contains(&t)) {
        return Ok(None);
    }
    let kind = fields
        .typename
        .as_deref()
        .and_then(Kind::from_typename)
        .ok_or_else(|| refused(id, "its __typename is not one storelink keeps"))?;
    // A fulfillment order fetched by itself names its order instead of hanging from it.
    let parent = fields.parent_id.as_deref().or(fields.order_id.as_deref()).and_then(gid_number);
    let raw = || Cell::Raw(RawJson::pack(line.get()));
    let need_id = || id.ok_or_else(|| refused(None, "it has no id storelink can read"));
    let need_parent = || parent.ok_or_else(|| refused(id, "it names no parent record"));
    let updated = || timestamp(fields.updated_at).ok_or_else(|| refused(id, "its updatedAt is not a timestamp"));
    let cells = match kind {
        Kind::Location => vec![
            Cell::Int(Some(need_id()?)),
            Cell::Text(Some(text(fields.name).unwrap_or_default())),
            Cell::Int(Some(now)),
            Cell::Int(Some(now)),
            raw(),
        ],
        Kind::Product => vec![
            Cell::Int(Some(need_id()?)),
            Cell::Text(Some(text(fields.title).unwrap_or_default())),
            Cell::Int(Some(0)),
            Cell::Int(Some(updated()?)),
            Cell::Int(Some(now)),
            raw(),
        ],
        Kind::Variant => {
            #[derive(Deserialize)]
            struct Item<'a> {
                #[serde(borrow)]
                id: Option<Cow<'a, str>>,
                #[serde(borrow)]
                sku: Option<&'a RawValue>,
                #[serde(borrow)]
                measurement: Option<&'a RawValue>,
            }
            #[derive(Deserialize)]
            struct Measurement<'a> {
                #[serde(borrow)]
                weight: Option<&'a RawValue>,
            }
            let item: Option<Item> = read(fields.inventory_item);
            let weight = item.as_ref().and_then(|i| read::<Measurement>(i.measurement)).and_then(|m| grams(m.weight));
            let sku = text(fields.sku).or_else(|| item.as_ref().and_then(|i| text(i.sku)));
            vec![
                Cell::Int(Some(need_id()?)),
                Cell::Int(Some(need_parent()?)),
                Cell::Text(Some(text(fields.title).unwrap_or_default())),
                Cell::Text(sku),
                Cell::Int(item.as_ref().and_then(|i| gid_number(i.id.as_deref()?))),
                Cell::Int(weight),
                Cell::Int(Some(updated()?)),
                Cell::Int(Some(now)),
                raw(),
            ]
        }
        Kind::Level => {
            let (Some(location), Some(item)) = (object_id(fields.location), object_id(fields.item)) else {
                return Err(refused(id, "it names no location or inventory item"));
            };
            vec![
                Cell::Int(Some(location)),
                Cell::Int(Some(item)),
                Cell::Int(available(fields.quantities)),
                Cell::Int(Some(timestamp(fields.updated_at).unwrap_or(now))),
                Cell::Int(Some(now)),
                raw(),
            ]
        }
        Kind::Customer => {
            let person = Person {
                id: None,
                display_name: read(fields.display_name),
                name: None,
                first_name: read(fields.first_name),
                last_name: read(fields.last_name),
                address1: None,
                city: None,
                zip: None,
                country: None,
            };
            vec![
                Cell::Int(Some(need_id()?)),
                Cell::Text(Some(person.full_name().unwrap_or_default())),
                Cell::Text(text(fields.email)),
                Cell::Int(Some(updated()?)),
                Cell::Int(Some(now)),
                raw(),
            ]
        }
        Kind::Order => {
            let created =
                timestamp(fields.created_at).ok_or_else(|| refused(id, "its createdAt is not a timestamp"))?;
            let status = if !is_null(fields.cancelled_at) {
                "cancelled"
            } else if read::<bool>(fields.closed).unwrap_or(false) || !is_null(fields.closed_at) {
                "closed"
            } else {
                "open"
            };
            let buyer: Option<Person> = read(fields.customer);
            let ship: Option<Person> = read(fields.shipping_address);
            let customer = buyer.as_ref().and_then(Person::full_name).or_else(|| ship.as_ref()?.full_name());
            #[derive(Deserialize)]
            #[serde(rename_all = "camelCase")]
            struct Money<'a> {
                #[serde(borrow)]
                shop_money: Option<Amount<'a>>,
            }
            #[derive(Deserialize)]
            struct Amount<'a> {
                #[serde(borrow)]
                amount: Cow<'a, str>,
            }
            let price = read::<Money>(fields.total_price_set).and_then(|m| m.shop_money).map(|m| m.amount.into_owned());
            #[derive(Deserialize)]
            struct ShippingLine<'a> {
                #[serde(borrow)]
                title: Option<&'a RawValue>,
            }
            let shipping_method = read::<ShippingLine>(fields.shipping_line).and_then(|line| text(line.title));
            vec![
                Cell::Int(Some(need_id()?)),
                Cell::Text(Some(text(fields.name).unwrap_or_default())),
                Cell::Text(Some(read::<String>(fields.created_at).unwrap_or_default())),
                Cell::Int(Some(created)),
                Cell::Int(Some(updated()?)),
                Cell::Text(Some(status.to_owned())),
                Cell::Text(text(fields.display_fulfillment_status).map(|s| s.to_lowercase())),
                Cell::Text(customer),
                Cell::Int(buyer.as_ref().and_then(|b| gid_number(b.id.as_deref()?))),
                Cell::Text(ship.as_ref().and_then(Person::one_line)),
                Cell::Int(Some(0)),
                Cell::Int(Some(int(fields.total_weight).unwrap_or(0))),
                Cell::Text(Some(price.unwrap_or_else(|| "0.00".into()))),
                Cell::Text(shipping_method),
                Cell::Int(Some(now)),
                raw(),
            ]
        }
        Kind::Line => vec![
            Cell::Int(Some(need_id()?)),
            Cell::Int(Some(need_parent()?)),
            Cell::Text(Some(text(fields.title).or_else(|| text(fields.name)).unwrap_or_default())),
            Cell::Text(text(fields.sku)),
            Cell::Int(Some(int(fields.quantity).unwrap_or(0))),
            Cell::Int(Some(now)),
            raw(),
        ],
        Kind::FulfillmentOrder => {
            #[derive(Deserialize)]
            struct Assigned<'a> {
                #[serde(borrow)]
                name: Option<Cow<'a, str>>,
                #[serde(borrow)]
                location: Option<&'a RawValue>,
            }
            let assigned: Option<Assigned> = read(fields.assigned_location);
            vec![
                Cell::Int(Some(need_id()?)),
                Cell::Int(Some(need_parent()?)),
                Cell::Text(Some(text(fields.status).unwrap_or_else(|| "OPEN".into()))),
                Cell::Int(assigned.as_ref().and_then(|a| object_id(a.location))),
                Cell::Text(assigned.and_then(|a| a.name.map(Cow::into_owned))),
                Cell::Int(Some(updated()?)),
                Cell::Int(Some(now)),
                raw(),
            ]
        }
        Kind::FulfillmentOrderLine => vec![
            Cell::Int(Some(need_id()?)),
            Cell::Int(Some(need_parent()?)),
            Cell::Int(object_id(fields.line_item)),
            Cell::Int(Some(int(fields.total_quantity).unwrap_or(0))),
            Cell::Int(Some(int(fields.remaining_quantity).unwrap_or(0))),
            Cell::Int(grams(fields.weight)),
            Cell::Int(Some(now)),
            raw(),
        ],
    };
    Ok(Some(Node { kind, id, parent, cells }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str) -> Box<RawValue> {
        RawValue::from_string(text.to_owned()).unwrap()
    }

    #[test]
    fn gids_end_in_the_rest_id() {
        assert_eq!(gid_number("gid://shopify/Order/5010584895677"), Some(5_010_584_895_677));
        assert_eq!(
            gid_number("gid://shopify/InventoryLevel/97912455357?inventory_item_id=42185200631997"),
            Some(97_912_455_357)
        );
        assert_eq!(gid_number("gid://shopify/Order/"), None);
        assert_eq!(gid_number("5010584895677"), None);
    }

    #[test]
    fn a_bulk_line_reads_into_its_table_and_its_parent() {
        let variant = line(
            r#"{"__typename":"ProductVariant","id":"gid:\/\/shopify\/ProductVariant\/7","title":"Blue","sku":null,
                "updatedAt":"2026-01-01T00:00:00Z","inventoryItem":{"id":"gid://shopify/InventoryItem/9","sku":"B-1",
                "measurement":{"weight":{"unit":"KILOGRAMS","value":1.25}}},"__parentId":"gid://shopify/Product/3"}"#,
        );
        let node = node(&variant, 100).unwrap().unwrap();
        assert_eq!((node.kind, node.id, node.parent), (Kind::Variant, Some(7), Some(3)));
        assert!(matches!(node.cells[3], Cell::Text(Some(ref sku)) if sku == "B-1"));
        assert!(matches!(node.cells[4], Cell::Int(Some(9))));
        assert!(matches!(node.cells[5], Cell::Int(Some(1250))));
    }

    #[test]
    fn an_order_says_where_it_ships_and_who_bought_it() {
        let order = line(
            r##"{"__typename":"Order","id":"gid://shopify/Order/1001","name":"#1001","createdAt":"2026-01-01T10:00:00Z",
                "updatedAt":"2026-01-02T10:00:00Z","cancelledAt":null,"closed":false,"closedAt":null,
                "displayFulfillmentStatus":"UNFULFILLED","totalWeight":"1200",
                "totalPriceSet":{"shopMoney":{"amount":"50.00","currencyCode":"EUR"}},
                "customer":{"id":"gid://shopify/Customer/42","displayName":"Zoë Ng"},
                "shippingAddress":{"name":"Zoë Ng","address1":"1 Main St","city":"Lyon","zip":"69001","country":"France"}}"##,
        );
        let node = node(&order, 0).unwrap().unwrap();
        assert!(matches!(node.cells[5], Cell::Text(Some(ref s)) if s == "open"));
        assert!(matches!(node.cells[6], Cell::Text(Some(ref s)) if s == "unfulfilled"));
        assert!(matches!(node.cells[7], Cell::Text(Some(ref s)) if s == "Zoë Ng"));
        assert!(matches!(node.cells[8], Cell::Int(Some(42))));
        assert!(matches!(node.cells[9], Cell::Text(Some(ref s)) if s == "Zoë Ng, 1 Main St, Lyon, 69001, France"));
        assert!(matches!(node.cells[11], Cell::Int(Some(1200))));
        assert!(matches!(node.cells[12], Cell::Text(Some(ref s)) if s == "50.00"));
    }

    #[test]
    fn odd_nodes_are_refused_with_a_reason() {
        for (text, why) in [
            ("[1]", "not a JSON object"),
            (r#"{"__typename":"Metafield","id":"gid://shopify/Metafield/1"}"#, "__typename"),
            (r#"{"__typename":"Product","id":"nope"}"#, "no id"),
            (r#"{"__typename":"Product","id":"gid://shopify/Product/1","updatedAt":"soon"}"#, "updatedAt"),
            (r#"{"__typename":"LineItem","id":"gid://shopify/LineItem/1"}"#, "parent"),
        ] {
            let refused = node(&line(text), 0).err().unwrap_or_else(|| panic!("{text} was stored"));
            assert!(refused.why.contains(why), "{text}: {}", refused.why);
        }
    }
}
