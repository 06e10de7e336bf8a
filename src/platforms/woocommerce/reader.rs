//! Reading WooCommerce's `wc/v3` JSON into storelink's records. Each function takes the text of
//! one resource (a webhook's body, `GET …/{id}`) or of a page (an array), keeps each element's
//! exact text as its record's `raw`, and reads every field leniently: one odd element is refused
//! with a reason, never the page.
//!
//! A WooCommerce order is its own unit of shipping, sent from the store's one location; storelink
//! counts what it shipped of each line itself. Records derived from another (a simple product's
//! own variant, a stock level, an order's unit) keep only the fields they come from as `raw`.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::{json, value::RawValue};
use time::{format_description::well_known::Rfc3339, macros::format_description, OffsetDateTime, PrimitiveDateTime};

use crate::records::{
    model::{self, unit_status, Batch, OrderStatus, Record, Refused},
    ShipTo,
};

/// The id of a site's one location.
pub const LOCATION_ID: i64 = 1;

/// The unit of product weights the site is set to (`woocommerce_weight_unit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeightUnit {
    Kilograms,
    Grams,
    Pounds,
    Ounces,
}

impl WeightUnit {
    /// From the setting's value: `kg`, `g`, `lbs` or `oz`.
    pub fn from_setting(value: &str) -> Option<WeightUnit> {
        match value.trim() {
            "kg" => Some(WeightUnit::Kilograms),
            "g" => Some(WeightUnit::Grams),
            "lbs" => Some(WeightUnit::Pounds),
            "oz" => Some(WeightUnit::Ounces),
            _ => None,
        }
    }

    fn grams(self) -> f64 {
        match self {
            WeightUnit::Kilograms => 1000.0,
            WeightUnit::Grams => 1.0,
            WeightUnit::Pounds => 453.592_37,
            WeightUnit::Ounces => 28.349_523_125,
        }
    }
}

/// What the reader needs to know of the site.
#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    pub weight_unit: WeightUnit,
    pub location_id: i64,
    pub location_name: String,
}

/// The site's one location: where its orders ship from.
pub fn location(name: &str) -> Record {
    Record::Location(model::Location {
        id: LOCATION_ID,
        name: name.to_owned(),
        raw: json!({"id": LOCATION_ID, "name": name}).to_string(),
    })
}

/// Orders (a page, or one order): each with its lines, its unit and the unit's lines.
pub fn orders(json: &str, site: &Site) -> Batch {
    read_each(json, |element, batch| order(element, site, batch))
}

/// Products (a page, or one): a simple product is also its own variant; a variable product's
/// variants are its variations, read by [`variations`].
pub fn products(json: &str, site: &Site) -> Batch {
    read_each(json, |element, batch| product(element, site, batch))
}

/// A page of `products/{product_id}/variations` (or one variation), as the product's variants.
pub fn variations(json: &str, product_id: i64, site: &Site) -> Batch {
    read_each(json, |element, batch| variation(element, product_id, site, batch))
}

/// Customers (a page, or one).
pub fn customers(json: &str) -> Batch {
    read_each(json, customer)
}

/// Where an order goes, in storelink's shape: its shipping address, or its billing address when
/// it has no shipping address (an order of virtual products).
pub fn ship_to(order_json: &str) -> Option<ShipTo> {
    #[derive(Deserialize)]
    struct Addresses<'a> {
        #[serde(borrow)]
        billing: Option<&'a RawValue>,
        #[serde(borrow)]
        shipping: Option<&'a RawValue>,
    }
    let addresses: Addresses = serde_json::from_str(order_json).ok()?;
    let billing: Address = read(addresses.billing).unwrap_or_default();
    let shipping: Address = read(addresses.shipping).unwrap_or_default();
    let address = destination(&shipping, &billing)?;
    let (province, province_code) = match text(address.state) {
        Some(state) if is_code(&state) => (None, Some(state)),
        other => (other, None),
    };
    // WooCommerce keeps a code where it knows the country, and what the buyer typed otherwise.
    let country_code = address.country_code();
    let country = text(address.country).filter(|_| country_code.is_none());
    Some(ShipTo {
        name: address.name(),
        company: text(address.company),
        address1: text(address.address_1),
        address2: text(address.address_2),
        city: text(address.city),
        province,
        province_code,
        postal_code: text(address.postcode),
        country,
        country_code,
        phone: text(address.phone).or_else(|| text(billing.phone)),
    })
}

/// A state as WooCommerce keeps it for countries it knows the states of: `CA`, `BG-01`, `JP13`.
fn is_code(state: &str) -> bool {
    state.len() <= 6 && state.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
}

/// Each element of a page (or the one resource) read by `read`, which adds its records or
/// returns why it cannot be stored.
fn read_each(json: &str, read: impl Fn(&RawValue, &mut Batch) -> Result<(), Refused>) -> Batch {
    let mut batch = Batch::default();
    let elements: Vec<&RawValue> = match serde_json::from_str::<&RawValue>(json) {
        Ok(whole) if whole.get().starts_with('[') => serde_json::from_str(whole.get()).unwrap_or_default(),
        Ok(whole) => vec![whole],
        Err(_) => {
            batch.refused.push(Refused { id: None, why: "the answer is not JSON".into() });
            return batch;
        }
    };
    for element in elements {
        // Records are added only once the whole element has been read.
        let mut read_one = Batch::default();
        match read(element, &mut read_one) {
            Ok(()) => {
                batch.records.extend(read_one.records);
                batch.refused.extend(read_one.refused);
            }
            Err(refused) => batch.refused.push(refused),
        }
    }
    batch
}

fn read<'a, T: Deserialize<'a>>(field: Option<&'a RawValue>) -> Option<T> {
    serde_json::from_str(field?.get()).ok()
}

/// A non-blank string, trimmed; a number is read as its digits.
fn text(field: Option<&RawValue>) -> Option<String> {
    let field = field?;
    let value = read::<Cow<str>>(Some(field))
        .map(Cow::into_owned)
        .or_else(|| read::<serde_json::Number>(Some(field)).map(|n| n.to_string()))?;
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

/// An integer, also when written as a string.
fn int(field: Option<&RawValue>) -> Option<i64> {
    read::<i64>(field).or_else(|| read::<Cow<str>>(field)?.trim().parse().ok())
}

/// A `date_*_gmt`: UTC without an offset (`2017-03-22T19:28:02`); one written with an offset is
/// read as written.
fn gmt(field: Option<&RawValue>) -> Option<OffsetDateTime> {
    let text = read::<Cow<str>>(field)?;
    let text = text.trim();
    let wall = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    PrimitiveDateTime::parse(text, wall)
        .map(PrimitiveDateTime::assume_utc)
        .or_else(|_| OffsetDateTime::parse(text, &Rfc3339))
        .ok()
}

/// A weight in the site's unit (`"1.5"`), in grams.
fn grams(field: Option<&RawValue>, unit: WeightUnit) -> Option<i64> {
    let text = text(field)?;
    let value: f64 = if text.contains('.') { text.parse().ok()? } else { text.replace(',', ".").parse().ok()? };
    (value.is_finite() && value >= 0.0).then(|| (value * unit.grams()).round() as i64)
}

fn joined(parts: &[Option<String>], separator: &str) -> Option<String> {
    let text = parts.iter().flatten().map(String::as_str).collect::<Vec<_>>().join(separator);
    (!text.is_empty()).then_some(text)
}

/// A WooCommerce name with its HTML entities decoded (`Ship Your Idea &ndash; Black`).
pub fn decode_entities(text: &str) -> String {
    const NAMED: &[(&str, &str)] = &[
        ("amp", "&"),
        ("lt", "<"),
        ("gt", ">"),
        ("quot", "\""),
        ("apos", "'"),
        ("nbsp", "\u{a0}"),
        ("ndash", "–"),
        ("mdash", "—"),
        ("hellip", "…"),
        ("lsquo", "‘"),
        ("rsquo", "’"),
        ("sbquo", "‚"),
        ("ldquo", "“"),
        ("rdquo", "”"),
        ("bdquo", "„"),
        ("laquo", "«"),
        ("raquo", "»"),
        ("lsaquo", "‹"),
        ("rsaquo", "›"),
        ("times", "×"),
        ("divide", "÷"),
        ("minus", "−"),
        ("prime", "′"),
        ("Prime", "″"),
        ("deg", "°"),
        ("middot", "·"),
        ("bull", "•"),
        ("copy", "©"),
        ("reg", "®"),
        ("trade", "™"),
        ("euro", "€"),
        ("pound", "£"),
        ("yen", "¥"),
        ("cent", "¢"),
        ("frac12", "½"),
        ("frac14", "¼"),
        ("frac34", "¾"),
    ];
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let entity = rest[1..].find(';').filter(|end| *end <= 10).map(|end| &rest[1..=end]);
        let decoded = entity.and_then(|entity| match entity.strip_prefix('#') {
            Some(number) => {
                let code = match number.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok(),
                    None => number.parse().ok(),
                };
                code.and_then(char::from_u32).filter(|c| !c.is_control()).map(String::from)
            }
            None => NAMED.iter().find(|(name, _)| *name == entity).map(|(_, c)| (*c).to_owned()),
        });
        match (entity, decoded) {
            (Some(entity), Some(decoded)) => {
                out.push_str(&decoded);
                rest = &rest[entity.len() + 2..];
            }
            _ => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A name field: decoded, trimmed, non-blank.
fn name(field: Option<&RawValue>) -> Option<String> {
    text(field).map(|t| decode_entities(&t).trim().to_owned()).filter(|t| !t.is_empty())
}

/// `billing` or `shipping`.
#[derive(Deserialize, Default)]
struct Address<'a> {
    #[serde(borrow)]
    first_name: Option<&'a RawValue>,
    #[serde(borrow)]
    last_name: Option<&'a RawValue>,
    #[serde(borrow)]
    company: Option<&'a RawValue>,
    #[serde(borrow)]
    address_1: Option<&'a RawValue>,
    #[serde(borrow)]
    address_2: Option<&'a RawValue>,
    #[serde(borrow)]
    city: Option<&'a RawValue>,
    #[serde(borrow)]
    state: Option<&'a RawValue>,
    #[serde(borrow)]
    postcode: Option<&'a RawValue>,
    #[serde(borrow)]
    country: Option<&'a RawValue>,
    #[serde(borrow)]
    phone: Option<&'a RawValue>,
}

impl Address<'_> {
    fn name(&self) -> Option<String> {
        joined(&[name(self.first_name), name(self.last_name)], " ")
    }

    /// Somewhere a parcel can go (a country alone is not).
    fn is_empty(&self) -> bool {
        [self.address_1, self.address_2, self.city, self.postcode].into_iter().all(|f| text(f).is_none())
    }

    fn one_line(&self) -> Option<String> {
        joined(&[self.name(), text(self.address_1), text(self.city), text(self.postcode), text(self.country)], ", ")
    }

    fn country_code(&self) -> Option<String> {
        model::country_code(&text(self.country)?)
    }
}

/// The address an order ships to: shipping, else billing.
fn destination<'b, 'a>(shipping: &'b Address<'a>, billing: &'b Address<'a>) -> Option<&'b Address<'a>> {
    [shipping, billing].into_iter().find(|a| !a.is_empty())
}

#[derive(Deserialize)]
struct OrderFields<'a> {
    #[serde(borrow)]
    id: Option<&'a RawValue>,
    #[serde(borrow)]
    number: Option<&'a RawValue>,
    #[serde(borrow)]
    status: Option<&'a RawValue>,
    #[serde(borrow)]
    date_created_gmt: Option<&'a RawValue>,
    #[serde(borrow)]
    date_modified_gmt: Option<&'a RawValue>,
    #[serde(borrow)]
    customer_id: Option<&'a RawValue>,
    #[serde(borrow)]
    total: Option<&'a RawValue>,
    #[serde(borrow)]
    billing: Option<&'a RawValue>,
    #[serde(borrow)]
    shipping: Option<&'a RawValue>,
    #[serde(borrow)]
    line_items: Option<&'a RawValue>,
    #[serde(borrow)]
    shipping_lines: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct LineFields<'a> {
    #[serde(borrow)]
    id: Option<&'a RawValue>,
    #[serde(borrow)]
    name: Option<&'a RawValue>,
    #[serde(borrow)]
    sku: Option<&'a RawValue>,
    #[serde(borrow)]
    quantity: Option<&'a RawValue>,
    #[serde(borrow)]
    method_title: Option<&'a RawValue>,
}

/// An order's state in storelink's words, its unit's status, and the status in words.
fn order_status(status: &str) -> (OrderStatus, &'static str, String) {
    let (order, unit) = match status {
        "processing" => (OrderStatus::Open, unit_status::OPEN),
        "on-hold" => (OrderStatus::Open, unit_status::ON_HOLD),
        "pending" | "draft" | "checkout-draft" => (OrderStatus::Open, unit_status::SCHEDULED),
        "completed" => (OrderStatus::Closed, unit_status::CLOSED),
        "cancelled" | "refunded" | "failed" | "trash" => (OrderStatus::Cancelled, unit_status::CANCELLED),
        // A plugin's status: the order stays open, but nothing is shipped from it until a person
        // looks (it may mean shipped as well as ready to ship).
        _ => (OrderStatus::Open, unit_status::ON_HOLD),
    };
    let words = match status {
        "pending" => "pending payment".to_owned(),
        other => other.replace(['-', '_'], " "),
    };
    (order, unit, words)
}

fn order(element: &RawValue, site: &Site, batch: &mut Batch) -> Result<(), Refused> {
    let refused = |id, why: &str| Refused { id, why: why.to_owned() };
    let fields: OrderFields =
        serde_json::from_str(element.get()).map_err(|_| refused(None, "it is not a JSON object"))?;
    let id = int(fields.id).filter(|id| *id > 0).ok_or_else(|| refused(None, "it has no id storelink can read"))?;
    let created =
        gmt(fields.date_created_gmt).ok_or_else(|| refused(Some(id), "its date_created_gmt is not a date"))?;
    let updated = gmt(fields.date_modified_gmt).unwrap_or(created);
    let status_text = text(fields.status).unwrap_or_default();
    let (status, unit, words) = order_status(&status_text);
    let billing: Address = read(fields.billing).unwrap_or_default();
    let shipping: Address = read(fields.shipping).unwrap_or_default();
    let lines: Vec<&RawValue> = read(fields.line_items).unwrap_or_default();
    let shipping_lines: Vec<LineFields> = read(fields.shipping_lines).unwrap_or_default();
    batch.records.push(Record::Order(model::Order {
        id,
        name: format!("#{}", text(fields.number).unwrap_or_else(|| id.to_string())),
        created_at_text: created.to_offset(time::UtcOffset::UTC).format(&Rfc3339).unwrap_or_default(),
        created_at: created.unix_timestamp(),
        updated_at: updated.unix_timestamp(),
        status,
        platform_status: (!words.is_empty()).then_some(words),
        customer_name: shipping.name().or_else(|| billing.name()),
        customer_id: int(fields.customer_id).filter(|id| *id > 0),
        ship_to: destination(&shipping, &billing).and_then(Address::one_line),
        ship_to_country: destination(&shipping, &billing).and_then(Address::country_code),
        total_weight_grams: 0,
        total_price: text(fields.total).unwrap_or_else(|| "0.00".into()),
        shipping_method: shipping_lines.first().and_then(|line| name(line.method_title)),
        raw: element.get().to_owned(),
    }));
    batch.records.push(Record::Unit(model::Unit {
        id,
        order_id: id,
        status: unit.to_owned(),
        location_id: Some(site.location_id),
        location_name: Some(site.location_name.clone()),
        updated_at: updated.unix_timestamp(),
        raw: json!({"id": id, "status": status_text}).to_string(),
    }));
    for line in lines {
        let Ok(fields) = serde_json::from_str::<LineFields>(line.get()) else {
            batch.refused.push(refused(Some(id), "a line item is not a JSON object"));
            continue;
        };
        let Some(line_id) = int(fields.id).filter(|id| *id > 0) else {
            batch.refused.push(refused(Some(id), "a line item has no id storelink can read"));
            continue;
        };
        let quantity = int(fields.quantity).unwrap_or(0);
        batch.records.push(Record::Line(model::Line {
            id: line_id,
            order_id: id,
            title: name(fields.name).unwrap_or_default(),
            sku: text(fields.sku),
            quantity,
            raw: line.get().to_owned(),
        }));
        batch.records.push(Record::UnitLine(model::UnitLine {
            id: line_id,
            unit_id: id,
            line_item_id: Some(line_id),
            total_quantity: quantity,
            remaining_quantity: None,
            unit_weight_grams: None,
            raw: line.get().to_owned(),
        }));
    }
    Ok(())
}

#[derive(Deserialize)]
struct ProductFields<'a> {
    #[serde(borrow)]
    id: Option<&'a RawValue>,
    #[serde(borrow)]
    name: Option<&'a RawValue>,
    #[serde(borrow, rename = "type")]
    kind: Option<&'a RawValue>,
    #[serde(borrow)]
    sku: Option<&'a RawValue>,
    #[serde(borrow)]
    weight: Option<&'a RawValue>,
    #[serde(borrow)]
    manage_stock: Option<&'a RawValue>,
    #[serde(borrow)]
    stock_quantity: Option<&'a RawValue>,
    #[serde(borrow)]
    attributes: Option<&'a RawValue>,
    #[serde(borrow)]
    date_created_gmt: Option<&'a RawValue>,
    #[serde(borrow)]
    date_modified_gmt: Option<&'a RawValue>,
}

impl ProductFields<'_> {
    fn updated(&self) -> Option<i64> {
        gmt(self.date_modified_gmt).or_else(|| gmt(self.date_created_gmt)).map(OffsetDateTime::unix_timestamp)
    }

    /// The variant this product or variation is, and its stock when WooCommerce counts it (a
    /// variation whose stock is its parent's says `"parent"`, not `true`).
    fn variant(
        &self,
        id: i64,
        product_id: i64,
        title: String,
        updated_at: i64,
        site: &Site,
        raw: String,
    ) -> Vec<Record> {
        let mut records = vec![Record::Variant(model::Variant {
            id,
            product_id,
            title,
            sku: text(self.sku),
            inventory_item_id: Some(id),
            weight_grams: grams(self.weight, site.weight_unit),
            updated_at,
            raw,
        })];
        if read::<bool>(self.manage_stock) == Some(true) {
            let available = int(self.stock_quantity);
            records.push(Record::Level(model::Level {
                location_id: site.location_id,
                inventory_item_id: id,
                available,
                updated_at,
                raw: json!({"id": id, "manage_stock": true, "stock_quantity": available}).to_string(),
            }));
        }
        records
    }
}

/// Product types that are no variant of their own: a variable product's are its variations, a
/// grouped product only lists others, an external one is sold elsewhere.
const NOT_A_VARIANT: [&str; 3] = ["variable", "grouped", "external"];

fn product(element: &RawValue, site: &Site, batch: &mut Batch) -> Result<(), Refused> {
    let refused = |id, why: &str| Refused { id, why: why.to_owned() };
    let fields: ProductFields =
        serde_json::from_str(element.get()).map_err(|_| refused(None, "it is not a JSON object"))?;
    let id = int(fields.id).filter(|id| *id > 0).ok_or_else(|| refused(None, "it has no id storelink can read"))?;
    let updated = fields.updated().ok_or_else(|| refused(Some(id), "its date_modified_gmt is not a date"))?;
    let title = name(fields.name).unwrap_or_default();
    let kind = text(fields.kind).unwrap_or_else(|| "simple".into());
    batch.records.push(Record::Product(model::Product {
        id,
        title: title.clone(),
        updated_at: updated,
        raw: element.get().to_owned(),
    }));
    // Plugins' types (subscriptions, bundles) sell the product itself; `variable-subscription`
    // has variations.
    if !NOT_A_VARIANT.contains(&kind.as_str()) && !kind.starts_with("variable") {
        let raw = json!({
            "id": id, "sku": text(fields.sku), "weight": text(fields.weight),
            "manage_stock": read::<bool>(fields.manage_stock), "stock_quantity": int(fields.stock_quantity),
        });
        batch.records.extend(fields.variant(id, id, title, updated, site, raw.to_string()));
    }
    Ok(())
}

fn variation(element: &RawValue, product_id: i64, site: &Site, batch: &mut Batch) -> Result<(), Refused> {
    #[derive(Deserialize)]
    struct Attribute<'a> {
        #[serde(borrow)]
        option: Option<&'a RawValue>,
    }
    let refused = |id, why: &str| Refused { id, why: why.to_owned() };
    let fields: ProductFields =
        serde_json::from_str(element.get()).map_err(|_| refused(None, "it is not a JSON object"))?;
    let id = int(fields.id).filter(|id| *id > 0).ok_or_else(|| refused(None, "it has no id storelink can read"))?;
    let updated = fields.updated().ok_or_else(|| refused(Some(id), "its date_modified_gmt is not a date"))?;
    // Older WooCommerce gives a variation no name: its attributes' values are its title.
    let title = name(fields.name).unwrap_or_else(|| {
        let attributes: Vec<Attribute> = read(fields.attributes).unwrap_or_default();
        let options: Vec<Option<String>> = attributes.iter().map(|a| name(a.option)).collect();
        joined(&options, " / ").unwrap_or_default()
    });
    batch.records.extend(fields.variant(id, product_id, title, updated, site, element.get().to_owned()));
    Ok(())
}

fn customer(element: &RawValue, batch: &mut Batch) -> Result<(), Refused> {
    #[derive(Deserialize)]
    struct Fields<'a> {
        #[serde(borrow)]
        id: Option<&'a RawValue>,
        #[serde(borrow)]
        first_name: Option<&'a RawValue>,
        #[serde(borrow)]
        last_name: Option<&'a RawValue>,
        #[serde(borrow)]
        username: Option<&'a RawValue>,
        #[serde(borrow)]
        email: Option<&'a RawValue>,
        #[serde(borrow)]
        date_created_gmt: Option<&'a RawValue>,
        #[serde(borrow)]
        date_modified_gmt: Option<&'a RawValue>,
    }
    let refused = |id, why: &str| Refused { id, why: why.to_owned() };
    let fields: Fields = serde_json::from_str(element.get()).map_err(|_| refused(None, "it is not a JSON object"))?;
    let id = int(fields.id).filter(|id| *id > 0).ok_or_else(|| refused(None, "it has no id storelink can read"))?;
    let updated = gmt(fields.date_modified_gmt)
        .or_else(|| gmt(fields.date_created_gmt))
        .ok_or_else(|| refused(Some(id), "it has no date_modified_gmt or date_created_gmt"))?;
    let full_name = joined(&[name(fields.first_name), name(fields.last_name)], " ");
    batch.records.push(Record::Customer(model::Customer {
        id,
        name: full_name.or_else(|| text(fields.username)).unwrap_or_default(),
        email: text(fields.email),
        updated_at: updated.unix_timestamp(),
        raw: element.get().to_owned(),
    }));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! fixture {
        ($name:literal) => {
            include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/emulator/tests/fixtures/woocommerce/", $name))
        };
    }

    fn site(unit: WeightUnit) -> Site {
        Site { weight_unit: unit, location_id: LOCATION_ID, location_name: "Example Shop".into() }
    }

    fn unix(text: &str) -> i64 {
        OffsetDateTime::parse(text, &Rfc3339).unwrap().unix_timestamp()
    }

    #[test]
    fn an_order_reads_into_its_lines_and_its_one_unit() {
        let batch = orders(fixture!("order.json"), &site(WeightUnit::Kilograms));
        assert!(batch.refused.is_empty(), "{:?}", batch.refused);
        let [Record::Order(order), Record::Unit(unit), Record::Line(first), Record::UnitLine(first_unit_line), Record::Line(second), Record::UnitLine(_)] =
            batch.records.as_slice()
        else {
            panic!("{:#?}", batch.records)
        };
        assert_eq!((order.id, order.name.as_str()), (727, "#727"));
        // date_created_gmt 2017-03-22T19:28:02 is UTC, whatever the site's timezone.
        assert_eq!(order.created_at_text, "2017-03-22T19:28:02Z");
        assert_eq!(order.created_at, unix("2017-03-22T19:28:02Z"));
        assert_eq!(order.updated_at, unix("2017-03-22T19:28:08Z"));
        assert_eq!((order.status, order.platform_status.as_deref()), (OrderStatus::Open, Some("processing")));
        assert_eq!((order.customer_name.as_deref(), order.customer_id), (Some("John Doe"), None));
        assert_eq!(order.ship_to.as_deref(), Some("John Doe, 969 Market, San Francisco, 94103, US"));
        assert_eq!((order.total_price.as_str(), order.total_weight_grams), ("29.35", 0));
        assert_eq!(order.shipping_method.as_deref(), Some("Flat Rate"));
        assert_eq!(order.raw, fixture!("order.json").trim());

        assert_eq!((unit.id, unit.order_id, unit.status.as_str()), (727, 727, unit_status::OPEN));
        assert_eq!((unit.location_id, unit.location_name.as_deref()), (Some(LOCATION_ID), Some("Example Shop")));
        assert_eq!(
            (first.id, first.order_id, first.title.as_str(), first.sku.as_deref()),
            (315, 727, "Woo Single #1", None)
        );
        assert_eq!(first.quantity, 2);
        assert_eq!(second.title, "Ship Your Idea – Color: Black, Size: M Test");
        assert_eq!(second.sku.as_deref(), Some("Bar3"));
        assert!(second.raw.starts_with('{') && second.raw.contains("\"id\": 316"));
        assert_eq!((first_unit_line.id, first_unit_line.unit_id, first_unit_line.line_item_id), (315, 727, Some(315)));
        assert_eq!((first_unit_line.total_quantity, first_unit_line.remaining_quantity), (2, None));
    }

    #[test]
    fn a_page_of_orders_keeps_each_orders_own_text_and_status() {
        let text = fixture!("orders_list.json");
        let batch = orders(text, &site(WeightUnit::Kilograms));
        let found: Vec<(i64, OrderStatus, Option<String>, &str)> = batch
            .records
            .iter()
            .filter_map(|r| match r {
                Record::Order(o) => Some((o.id, o.status, o.platform_status.clone(), o.raw.as_str())),
                _ => None,
            })
            .collect();
        assert_eq!(found.len(), 2);
        assert_eq!((found[0].0, found[0].1), (727, OrderStatus::Open));
        assert_eq!((found[1].0, found[1].1, found[1].2.as_deref()), (723, OrderStatus::Closed, Some("completed")));
        let elements: Vec<&RawValue> = serde_json::from_str(text).unwrap();
        assert_eq!(found[1].3, elements[1].get());
        let closed = batch.records.iter().find_map(|r| match r {
            Record::Unit(u) if u.id == 723 => Some(u.status.as_str()),
            _ => None,
        });
        assert_eq!(closed, Some(unit_status::CLOSED));
    }

    #[test]
    fn statuses_map_to_storelinks_and_read_as_words() {
        for (status, order, unit, words) in [
            ("pending", OrderStatus::Open, unit_status::SCHEDULED, "pending payment"),
            ("processing", OrderStatus::Open, unit_status::OPEN, "processing"),
            ("on-hold", OrderStatus::Open, unit_status::ON_HOLD, "on hold"),
            ("checkout-draft", OrderStatus::Open, unit_status::SCHEDULED, "checkout draft"),
            ("completed", OrderStatus::Closed, unit_status::CLOSED, "completed"),
            ("cancelled", OrderStatus::Cancelled, unit_status::CANCELLED, "cancelled"),
            ("refunded", OrderStatus::Cancelled, unit_status::CANCELLED, "refunded"),
            ("failed", OrderStatus::Cancelled, unit_status::CANCELLED, "failed"),
            ("trash", OrderStatus::Cancelled, unit_status::CANCELLED, "trash"),
            ("awaiting-shipment", OrderStatus::Open, unit_status::ON_HOLD, "awaiting shipment"),
        ] {
            assert_eq!(order_status(status), (order, unit, words.to_owned()), "{status}");
        }
    }

    #[test]
    fn odd_orders_and_lines_are_refused_with_a_reason_and_the_rest_kept() {
        let page = r#"[
            {"id": 1, "date_created_gmt": "2026-01-01T00:00:00", "status": "processing",
             "line_items": [{"id": 10, "name": "A", "quantity": "3"}, {"name": "no id"}, 7]},
            {"id": 2, "date_created_gmt": null},
            {"id": "x"},
            [1],
            {"id": 3, "number": 1003, "date_created_gmt": "2026-01-02T10:00:00+02:00", "customer_id": 5,
             "billing": {"first_name": "Ann", "address_1": "1 Rue", "city": "Lyon", "country": "FR"},
             "shipping": {"first_name": "", "address_1": "", "city": "", "postcode": "", "country": "FR"}}
        ]"#;
        let batch = orders(page, &site(WeightUnit::Kilograms));
        let why: Vec<(Option<i64>, &str)> = batch.refused.iter().map(|r| (r.id, r.why.as_str())).collect();
        assert_eq!(
            why,
            [
                (Some(1), "a line item has no id storelink can read"),
                (Some(1), "a line item is not a JSON object"),
                (Some(2), "its date_created_gmt is not a date"),
                (None, "it has no id storelink can read"),
                (None, "it is not a JSON object"),
            ]
        );
        let line = batch.records.iter().find_map(|r| match r {
            Record::Line(l) => Some((l.id, l.quantity)),
            _ => None,
        });
        assert_eq!(line, Some((10, 3)));
        let Some(Record::Order(third)) = batch.records.iter().find(|r| matches!(r, Record::Order(o) if o.id == 3))
        else {
            panic!("order 3 was not read")
        };
        assert_eq!((third.name.as_str(), third.created_at_text.as_str()), ("#1003", "2026-01-02T08:00:00Z"));
        assert_eq!((third.customer_id, third.customer_name.as_deref()), (Some(5), Some("Ann")));
        assert_eq!(third.ship_to.as_deref(), Some("Ann, 1 Rue, Lyon, FR"), "billing when shipping is empty");
        assert_eq!(orders("<html>", &site(WeightUnit::Kilograms)).refused[0].why, "the answer is not JSON");
    }

    #[test]
    fn an_order_ships_to_the_country_of_its_shipping_address_else_its_billing_one() {
        let country = |billing: &str, shipping: &str| {
            let page = format!(
                r#"[{{"id": 1, "date_created_gmt": "2026-01-01T00:00:00", "billing": {billing}, "shipping": {shipping}}}]"#
            );
            let batch = orders(&page, &site(WeightUnit::Kilograms));
            let Some(Record::Order(order)) = batch.records.first() else { panic!("{:?}", batch.refused) };
            order.ship_to_country.clone()
        };
        let lyon = r#"{"address_1": "1 Rue", "city": "Lyon", "country": "FR"}"#;
        let berlin = r#"{"address_1": "9 Hauptstr.", "city": "Berlin", "country": "de"}"#;
        assert_eq!(country(lyon, berlin), Some("DE".into()));
        assert_eq!(
            country(lyon, r#"{"address_1": "", "country": "DE"}"#),
            Some("FR".into()),
            "billing when shipping is empty"
        );
        assert_eq!(country(r#"{"address_1": "1 Rue", "country": "France"}"#, "{}"), None, "a name is not a code");
        let batch = orders(fixture!("order.json"), &site(WeightUnit::Kilograms));
        let Some(Record::Order(order)) = batch.records.first() else { panic!("{:?}", batch.refused) };
        assert_eq!(order.ship_to_country.as_deref(), Some("US"));
    }

    #[test]
    fn the_ship_to_is_storelinks_shape() {
        let ship = ship_to(fixture!("order.json")).unwrap();
        assert_eq!(
            ship,
            ShipTo {
                name: Some("John Doe".into()),
                company: None,
                address1: Some("969 Market".into()),
                address2: None,
                city: Some("San Francisco".into()),
                province: None,
                province_code: Some("CA".into()),
                postal_code: Some("94103".into()),
                country: None,
                country_code: Some("US".into()),
                phone: Some("(555) 555-5555".into()),
            }
        );
        let virtual_only = r#"{"billing": {"first_name": "Ann", "last_name": "Ng", "address_1": "1 Rue", "city": "Lyon",
            "state": "Rhône", "country": "France", "phone": "0102"}, "shipping": {"address_1": ""}}"#;
        let ship = ship_to(virtual_only).unwrap();
        assert_eq!((ship.name.as_deref(), ship.province.as_deref()), (Some("Ann Ng"), Some("Rhône")));
        assert_eq!((ship.country.as_deref(), ship.country_code), (Some("France"), None));
        assert_eq!(ship_to(r#"{"billing": {}, "shipping": {}}"#), None);
        assert_eq!(ship_to("nope"), None);
    }

    #[test]
    fn a_simple_product_is_its_own_variant_and_a_variable_one_is_not() {
        let batch = products(fixture!("products_list.json"), &site(WeightUnit::Kilograms));
        assert!(batch.refused.is_empty(), "{:?}", batch.refused);
        let kinds: Vec<(&str, i64)> = batch
            .records
            .iter()
            .map(|r| match r {
                Record::Product(p) => ("product", p.id),
                Record::Variant(v) => ("variant", v.id),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(kinds, [("product", 799), ("product", 794), ("variant", 794)]);
        let Record::Variant(variant) = &batch.records[2] else { unreachable!() };
        assert_eq!(
            (variant.product_id, variant.title.as_str(), variant.inventory_item_id),
            (794, "Premium Quality", Some(794))
        );
        assert_eq!((variant.sku.as_deref(), variant.weight_grams), (None, None));
        assert_eq!(variant.updated_at, unix("2017-03-23T20:01:14Z"));

        let stocked = r#"{"id": 5, "name": "Mug &amp; Lid", "type": "simple", "sku": "MUG", "weight": "0.5",
            "manage_stock": true, "stock_quantity": 12, "date_modified_gmt": "2026-01-01T00:00:00"}"#;
        let batch = products(stocked, &site(WeightUnit::Pounds));
        let [Record::Product(product), Record::Variant(variant), Record::Level(level)] = batch.records.as_slice()
        else {
            panic!("{:#?}", batch.records)
        };
        assert_eq!(product.title, "Mug & Lid");
        assert_eq!((variant.sku.as_deref(), variant.weight_grams), (Some("MUG"), Some(227)));
        assert_eq!((level.location_id, level.inventory_item_id, level.available), (LOCATION_ID, 5, Some(12)));
    }

    #[test]
    fn variations_are_their_products_variants_with_weights_in_grams() {
        let batch = variations(fixture!("product_variations_list.json"), 22, &site(WeightUnit::Kilograms));
        assert!(batch.refused.is_empty(), "{:?}", batch.refused);
        let variants: Vec<(i64, i64, &str)> = batch
            .records
            .iter()
            .map(|r| match r {
                Record::Variant(v) => (v.id, v.product_id, v.title.as_str()),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(variants, [(733, 22, "Green"), (732, 22, "Black")]);
        let one = variations(fixture!("product_variation.json"), 22, &site(WeightUnit::Kilograms));
        let Record::Variant(variant) = &one.records[0] else { panic!("not a variant") };
        assert_eq!(variant.raw, fixture!("product_variation.json").trim());

        for (unit, weight, grams) in [
            (WeightUnit::Kilograms, "1.25", 1250),
            (WeightUnit::Grams, "300", 300),
            (WeightUnit::Pounds, "2", 907),
            (WeightUnit::Ounces, "16", 454),
            (WeightUnit::Kilograms, "0,5", 500),
        ] {
            let text = format!(
                r#"{{"id": 9, "name": "Size - M", "weight": "{weight}", "manage_stock": "parent", "stock_quantity": 3,
                    "date_modified_gmt": "2026-01-01T00:00:00"}}"#
            );
            let batch = variations(&text, 8, &site(unit));
            assert_eq!(batch.records.len(), 1, "a parent's stock is not the variation's");
            let Record::Variant(variant) = &batch.records[0] else { panic!("not a variant") };
            assert_eq!((variant.title.as_str(), variant.weight_grams), ("Size - M", Some(grams)), "{weight} {unit:?}");
        }
        assert_eq!(WeightUnit::from_setting("lbs"), Some(WeightUnit::Pounds));
        assert_eq!(WeightUnit::from_setting("stone"), None);
    }

    #[test]
    fn a_customer_is_named_by_name_or_username() {
        let batch = customers(fixture!("customer.json"));
        let [Record::Customer(customer)] = batch.records.as_slice() else { panic!("{:#?}", batch) };
        assert_eq!((customer.id, customer.name.as_str()), (25, "John Doe"));
        assert_eq!(customer.email.as_deref(), Some("john.doe@example.com"));
        assert_eq!(customer.updated_at, unix("2017-03-21T19:09:30Z"));
        let page = r#"[{"id": 7, "first_name": "", "last_name": "", "username": "ann42", "email": "",
            "date_created_gmt": "2026-01-01T00:00:00", "date_modified_gmt": null}, {"id": 8}]"#;
        let batch = customers(page);
        let [Record::Customer(customer)] = batch.records.as_slice() else { panic!("{:#?}", batch) };
        assert_eq!((customer.name.as_str(), customer.email.as_deref()), ("ann42", None));
        assert_eq!(customer.updated_at, unix("2026-01-01T00:00:00Z"));
        assert_eq!(batch.refused[0].id, Some(8));
    }

    #[test]
    fn entities_in_names_are_decoded() {
        assert_eq!(decode_entities("Ship Your Idea &ndash; Black"), "Ship Your Idea – Black");
        assert_eq!(decode_entities("A &amp; B &#8211; &#x2014; &hellip;"), "A & B – — …");
        assert_eq!(decode_entities("R&D &unknown; & &#0; &"), "R&D &unknown; & &#0; &");
        let Record::Location(location) = location("Example Shop") else { panic!("not a location") };
        assert_eq!((location.id, location.raw.as_str()), (1, r#"{"id":1,"name":"Example Shop"}"#));
    }
}
