//! What a WooCommerce site holds: products with their variations, customers, and orders with
//! their notes, meta and tracking items. Generated from a seed (the same seed gives the same
//! site), changed by the API and the control endpoint. Ids come from WordPress's sequences:
//! products, variations and orders share the posts table's, customers are users, notes comments.

use std::collections::{BTreeMap, HashMap};

use rand::{rngs::StdRng, seq::SliceRandom, Rng, SeedableRng};
use serde_json::{json, Value};

use crate::{
    config::WooSiteConfig,
    data::{
        pools::{ADJECTIVES, CITIES, FIRST_NAMES, LAST_NAMES, NOUNS, STREETS},
        DAY,
    },
};

/// Every order status core WooCommerce registers, in its own order.
pub const ORDER_STATUSES: &[&str] =
    &["pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed", "checkout-draft"];

/// The meta key the Shipment Tracking extension keeps an order's tracking items under.
pub const TRACKING_META_KEY: &str = "_wc_shipment_tracking_items";

/// The sizes every generated variable product comes in.
pub const SIZES: &[&str] = &["S", "M", "L"];

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Address {
    pub first_name: String,
    pub last_name: String,
    pub company: String,
    pub address_1: String,
    pub address_2: String,
    pub city: String,
    pub state: String,
    pub postcode: String,
    pub country: String,
    /// Billing only: shipping addresses carry no email or phone.
    pub email: String,
    pub phone: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Meta {
    pub id: u64,
    pub key: String,
    pub value: Value,
}

/// One line of an order. Its name is frozen at sale; its SKU is read from the product, as
/// WooCommerce's REST API reads it.
#[derive(Debug, Clone)]
pub struct Line {
    pub id: u64,
    pub product_id: u64,
    pub variation_id: u64,
    pub name: String,
    pub parent_name: Option<String>,
    pub quantity: i64,
    pub price_cents: i64,
    /// The variation's attribute: (meta id, key, display key, value).
    pub attribute: Option<(u64, String, String, String)>,
}

#[derive(Debug, Clone)]
pub struct Note {
    pub id: u64,
    pub author: String,
    pub created: i64,
    pub note: String,
    pub customer_note: bool,
}

/// One Shipment Tracking item: a named provider's slug, or a custom provider and link.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackingItem {
    pub tracking_id: String,
    pub provider: String,
    pub custom_provider: String,
    pub custom_link: String,
    pub number: String,
    /// Midnight UTC of the day shipped, as the extension stores it.
    pub date_shipped: i64,
}

#[derive(Debug, Clone)]
pub struct Order {
    pub id: u64,
    pub status: String,
    /// The status an order had before it was trashed (`_wp_trash_meta_status`).
    pub status_before_trash: Option<String>,
    pub created: i64,
    pub modified: i64,
    pub paid: Option<i64>,
    pub completed: Option<i64>,
    pub customer_id: u64,
    pub billing: Address,
    pub shipping: Address,
    pub payment_method: (&'static str, &'static str),
    pub transaction_id: String,
    pub customer_note: String,
    pub order_key: String,
    pub created_via: &'static str,
    pub lines: Vec<Line>,
    pub shipping_line: (u64, &'static str, &'static str, i64),
    pub refund: Option<u64>,
    pub meta: Vec<Meta>,
    pub notes: Vec<Note>,
    pub tracking: Vec<TrackingItem>,
    /// The meta id of `_wc_shipment_tracking_items`, once the order has had tracking.
    pub tracking_meta_id: Option<u64>,
}

impl Order {
    pub fn total_cents(&self) -> i64 {
        self.lines.iter().map(|l| l.price_cents * l.quantity).sum::<i64>() + self.shipping_line.3
    }
}

#[derive(Debug, Clone)]
pub struct Variation {
    pub id: u64,
    pub size: &'static str,
    pub sku: String,
    pub price_cents: i64,
    /// Empty: the parent's weight shows through, as WooCommerce renders variations.
    pub weight: String,
    pub stock: Option<i64>,
    pub created: i64,
    pub modified: i64,
}

#[derive(Debug, Clone)]
pub struct Product {
    pub id: u64,
    pub name: String,
    pub slug: String,
    pub sku: String,
    pub variable: bool,
    pub price_cents: i64,
    /// As the merchant typed it, in the site's weight unit; empty when never entered.
    pub weight: String,
    pub dimensions: [String; 3],
    pub stock: Option<i64>,
    pub created: i64,
    pub modified: i64,
    pub image_id: u64,
    pub variations: Vec<Variation>,
}

#[derive(Debug, Clone)]
pub struct Customer {
    pub id: u64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub username: String,
    pub billing: Address,
    pub shipping: Address,
    pub created: i64,
    pub modified: i64,
    pub paying: bool,
}

/// WordPress's id sequences.
#[derive(Debug, Clone)]
pub struct Sequences {
    pub post: u64,
    pub user: u64,
    pub comment: u64,
    pub meta: u64,
    pub order_item: u64,
}

impl Sequences {
    pub fn post(&mut self) -> u64 {
        self.post += 1;
        self.post
    }

    pub fn user(&mut self) -> u64 {
        self.user += 1;
        self.user
    }

    pub fn comment(&mut self) -> u64 {
        self.comment += 1;
        self.comment
    }

    pub fn meta(&mut self) -> u64 {
        self.meta += 1;
        self.meta
    }

    pub fn order_item(&mut self) -> u64 {
        self.order_item += 1;
        self.order_item
    }
}

pub struct SiteData {
    pub products: BTreeMap<u64, Product>,
    /// The keys of `products` and `customers`, for picking one at random in constant time.
    product_ids: Vec<u64>,
    customer_ids: Vec<u64>,
    /// Variation id → its product's id.
    pub variation_parents: HashMap<u64, u64>,
    pub customers: BTreeMap<u64, Customer>,
    pub orders: BTreeMap<u64, Order>,
    pub ids: Sequences,
    /// Draws new records' contents; seeded, so runs with the same steps make the same records.
    pub rng: StdRng,
    pub weight_unit: String,
}

/// How a generated order's life went: its status and the share of orders that end in it.
const STATUS_MIX: &[(&str, u32)] = &[
    ("processing", 38),
    ("completed", 42),
    ("on-hold", 5),
    ("pending", 4),
    ("cancelled", 4),
    ("refunded", 3),
    ("failed", 4),
];

/// Payment gateways: id and title.
const STRIPE: (&str, &str) = ("stripe", "Credit Card (Stripe)");
const BACS: (&str, &str) = ("bacs", "Direct bank transfer");
const COD: (&str, &str) = ("cod", "Cash on delivery");

const ATTRIBUTION_SOURCES: &[&str] = &["typein", "organic", "referral", "utm", "admin"];
const DEVICES: &[&str] = &["Desktop", "Mobile", "Tablet"];

impl SiteData {
    /// Generates the site `config` describes, as of `now` (Unix seconds).
    pub fn generate(config: &WooSiteConfig, now: i64) -> SiteData {
        // The first posts of a site are its pages (shop, cart, checkout, my account…).
        let ids = Sequences { post: 9, user: 1, comment: 0, meta: 0, order_item: 0 };
        let mut data = SiteData {
            products: BTreeMap::new(),
            product_ids: Vec::new(),
            customer_ids: Vec::new(),
            variation_parents: HashMap::new(),
            customers: BTreeMap::new(),
            orders: BTreeMap::new(),
            ids,
            rng: StdRng::seed_from_u64(config.seed),
            weight_unit: config.weight_unit.clone(),
        };
        // Orders arrive over a span that grows with their number, after the catalogue is made.
        let span_days = (config.orders as i64 / 40 + 30).min(730);
        let opened = now - (span_days + 45) * DAY;

        for n in 0..config.products {
            let created = opened + (n as i64 * 3_600) % (40 * DAY);
            data.add_product(n, created);
        }
        for _ in 0..config.customers {
            let created = data.rng.gen_range(opened..opened + 45 * DAY);
            data.add_customer(created);
        }
        if !data.products.is_empty() {
            let mut created = now - span_days * DAY;
            let mean_gap = (span_days * DAY / config.orders.max(1) as i64).max(1);
            for _ in 0..config.orders {
                // About one order in ten lands in the same second as the one before.
                if !data.rng.gen_bool(0.1) {
                    created += data.rng.gen_range(1..=2 * mean_gap);
                }
                created = created.min(now - 60);
                let status = pick_status(&mut data.rng);
                data.add_order(created, status, now, config.shipment_tracking);
            }
        }
        data
    }

    fn add_product(&mut self, n: usize, created: i64) {
        let rng = &mut self.rng;
        let name =
            format!("{} {}", ADJECTIVES[rng.gen_range(0..ADJECTIVES.len())], NOUNS[rng.gen_range(0..NOUNS.len())]);
        let id = self.ids.post + rng.gen_range(1..4);
        self.ids.post = id;
        let slug = format!("{}-{id}", slugify(&name));
        // A few products have no SKU and a few no weight, as real catalogues do.
        let sku = if rng.gen_bool(0.05) { String::new() } else { format!("WC-{:04}", n + 1) };
        let grams = rng.gen_range(80..5_000);
        let weight = if rng.gen_bool(0.1) { String::new() } else { weight_in(&self.weight_unit, grams) };
        let dimensions = if weight.is_empty() {
            [String::new(), String::new(), String::new()]
        } else {
            [rng.gen_range(5..60), rng.gen_range(5..40), rng.gen_range(1..30)].map(|cm: i64| cm.to_string())
        };
        let price_cents = rng.gen_range(4..120) * 100 + [0, 50, 95, 99][rng.gen_range(0..4)];
        let variable = n.is_multiple_of(3);
        let stock = rng.gen_bool(0.6).then(|| rng.gen_range(0..200));
        let mut product = Product {
            id,
            name,
            slug,
            sku: sku.clone(),
            variable,
            price_cents,
            weight,
            dimensions,
            stock: if variable { None } else { stock },
            created,
            modified: created,
            image_id: 0,
            variations: Vec::new(),
        };
        if variable {
            for (i, size) in SIZES.iter().enumerate() {
                let variation_id = self.ids.post();
                let own_weight = if self.rng.gen_bool(0.5) {
                    String::new()
                } else {
                    weight_in(&self.weight_unit, grams + 150 * i as i64)
                };
                product.variations.push(Variation {
                    id: variation_id,
                    size,
                    sku: if sku.is_empty() { String::new() } else { format!("{sku}-{size}") },
                    price_cents: price_cents + 200 * i as i64,
                    weight: own_weight,
                    stock: self.rng.gen_bool(0.7).then(|| self.rng.gen_range(0..80)),
                    created,
                    modified: created,
                });
                self.variation_parents.insert(variation_id, id);
            }
        }
        product.image_id = self.ids.post();
        self.products.insert(id, product);
        self.product_ids.push(id);
    }

    /// A new registered customer created at `created`; returns its id.
    pub fn add_customer(&mut self, created: i64) -> u64 {
        let id = self.ids.user();
        let billing = random_address(&mut self.rng, id);
        let username = format!("{}{id}", ascii_lower(&billing.first_name));
        let customer = Customer {
            id,
            email: billing.email.clone(),
            first_name: billing.first_name.clone(),
            last_name: billing.last_name.clone(),
            username,
            shipping: shipping_of(&billing),
            billing,
            created,
            modified: created,
            paying: false,
        };
        self.customers.insert(id, customer);
        self.customer_ids.push(id);
        id
    }

    /// A new order placed at `created` that has reached `status` (and stayed there until no
    /// later than `now`); returns its id.
    pub fn add_order(&mut self, created: i64, status: &str, now: i64, tracking: bool) -> u64 {
        let id = self.ids.post() + u64::from(self.rng.gen_bool(0.2));
        self.ids.post = id;
        let customer_id = match self.customer_ids.choose(&mut self.rng) {
            Some(&key) if self.rng.gen_bool(0.75) => key,
            _ => 0,
        };
        let billing = match self.customers.get(&customer_id) {
            Some(customer) => customer.billing.clone(),
            None => random_address(&mut self.rng, id),
        };
        let shipping = if self.rng.gen_bool(0.1) {
            shipping_of(&random_address(&mut self.rng, id))
        } else {
            shipping_of(&billing)
        };
        let lines = self.random_lines();
        let payment_method = match status {
            "on-hold" => BACS,
            _ if self.rng.gen_bool(0.1) => COD,
            _ => STRIPE,
        };
        let later = |rng: &mut StdRng, from: i64, max: i64| (from + rng.gen_range(1..=max.max(1))).min(now);
        let paid = match status {
            "processing" | "completed" | "refunded" => Some(later(&mut self.rng, created, 120)),
            _ => None,
        };
        let completed = match status {
            "completed" => Some(later(&mut self.rng, paid.unwrap_or(created), 5 * DAY)),
            _ => None,
        };
        let modified = match status {
            "completed" => completed.unwrap_or(created),
            "processing" => paid.unwrap_or(created),
            "cancelled" | "refunded" => later(&mut self.rng, created, 10 * DAY),
            "failed" => later(&mut self.rng, created, 30),
            _ => created,
        };
        let transaction_id = match (payment_method, paid) {
            (STRIPE, Some(_)) => format!("ch_{}", random_alnum(&mut self.rng, 24)),
            _ => String::new(),
        };
        let meta = vec![
            Meta { id: self.ids.meta(), key: "is_vat_exempt".into(), value: json!("no") },
            Meta {
                id: self.ids.meta(),
                key: "_wc_order_attribution_source_type".into(),
                value: json!(ATTRIBUTION_SOURCES[self.rng.gen_range(0..ATTRIBUTION_SOURCES.len())]),
            },
            Meta {
                id: self.ids.meta(),
                key: "_wc_order_attribution_device_type".into(),
                value: json!(DEVICES[self.rng.gen_range(0..DEVICES.len())]),
            },
        ];
        let shipping_line = if self.rng.gen_bool(0.2) {
            (self.ids.order_item(), "Free shipping", "free_shipping", 0)
        } else {
            (self.ids.order_item(), "Flat rate", "flat_rate", 1_000)
        };
        let mut order = Order {
            id,
            status: status.to_owned(),
            status_before_trash: None,
            created,
            modified,
            paid,
            completed,
            customer_id,
            billing,
            shipping,
            payment_method,
            transaction_id,
            customer_note: if self.rng.gen_bool(0.1) {
                "Please leave it at the back door.".into()
            } else {
                String::new()
            },
            order_key: format!("wc_order_{}", random_alnum(&mut self.rng, 13)),
            created_via: "checkout",
            lines,
            shipping_line,
            refund: None,
            meta,
            notes: Vec::new(),
            tracking: Vec::new(),
            tracking_meta_id: None,
        };
        self.add_history(&mut order, tracking);
        if let Some(customer) = self.customers.get_mut(&customer_id) {
            customer.paying |= paid.is_some();
        }
        self.orders.insert(id, order);
        id
    }

    /// The notes a real order collects on its way to its status, and for shipped orders their
    /// tracking when the extension is active.
    fn add_history(&mut self, order: &mut Order, tracking: bool) {
        let note = |ids: &mut Sequences, at: i64, from: &str, to: &str| Note {
            id: ids.comment(),
            author: "system".into(),
            created: at,
            note: format!("Order status changed from {} to {}.", status_name(from), status_name(to)),
            customer_note: false,
        };
        let mut notes = Vec::new();
        if let Some(paid) = order.paid {
            notes.push(note(&mut self.ids, paid, "pending", "processing"));
        }
        match order.status.as_str() {
            "completed" => notes.push(note(&mut self.ids, order.modified, "processing", "completed")),
            "refunded" => {
                notes.push(note(&mut self.ids, order.modified, "processing", "refunded"));
                order.refund = Some(self.ids.post());
            }
            "cancelled" | "failed" | "on-hold" if order.modified > order.created => {
                notes.push(note(&mut self.ids, order.modified, "pending", &order.status))
            }
            _ => {}
        }
        order.notes = notes;
        if tracking && order.status == "completed" && self.rng.gen_bool(0.6) {
            let shipped = order.completed.unwrap_or(order.modified);
            let (provider, number) = if self.rng.gen_bool(0.7) {
                ("usps", format!("9400{}", random_digits(&mut self.rng, 18)))
            } else {
                ("ups", format!("1Z{}", random_alnum(&mut self.rng, 16).to_ascii_uppercase()))
            };
            order.tracking.push(TrackingItem {
                tracking_id: random_hex(&mut self.rng, 32),
                provider: provider.into(),
                custom_provider: String::new(),
                custom_link: String::new(),
                number,
                date_shipped: shipped - shipped.rem_euclid(DAY),
            });
            order.tracking_meta_id = Some(self.ids.meta());
        }
    }

    fn random_lines(&mut self) -> Vec<Line> {
        let count = self.rng.gen_range(1..=4.min(self.product_ids.len()));
        let mut lines = Vec::with_capacity(count);
        for product_id in self.product_ids.choose_multiple(&mut self.rng, count).copied().collect::<Vec<_>>() {
            let product = &self.products[&product_id];
            let quantity = if self.rng.gen_bool(0.7) { 1 } else { self.rng.gen_range(2..=3) };
            let line = match product.variations.choose(&mut self.rng) {
                Some(variation) => Line {
                    id: 0,
                    product_id,
                    variation_id: variation.id,
                    name: format!("{} - {}", product.name, variation.size),
                    parent_name: Some(product.name.clone()),
                    quantity,
                    price_cents: variation.price_cents,
                    attribute: Some((0, "size".into(), "Size".into(), variation.size.into())),
                },
                None => Line {
                    id: 0,
                    product_id,
                    variation_id: 0,
                    name: product.name.clone(),
                    parent_name: None,
                    quantity,
                    price_cents: product.price_cents,
                    attribute: None,
                },
            };
            lines.push(line);
        }
        for line in &mut lines {
            line.id = self.ids.order_item();
            if let Some(attribute) = &mut line.attribute {
                attribute.0 = self.ids.meta();
            }
        }
        lines
    }

    /// The product or variation a line names: (SKU, weight as rendered).
    pub fn line_product(&self, line: &Line) -> Option<(&Product, Option<&Variation>)> {
        let product = self.products.get(&line.product_id)?;
        let variation = product.variations.iter().find(|v| v.id == line.variation_id);
        Some((product, variation))
    }

    /// Merges `meta_data` as WooCommerce's `update_meta_data` does: an id updates that entry; a
    /// known key updates its first entry and drops the others; a new key is added; a null value
    /// deletes.
    pub fn merge_meta(&mut self, meta: &mut Vec<Meta>, entries: &[Value]) {
        for entry in entries {
            let Some(key) = entry.get("key").and_then(Value::as_str) else { continue };
            let value = entry.get("value").cloned().unwrap_or(Value::Null);
            let by_id = entry.get("id").and_then(Value::as_u64).and_then(|id| meta.iter().position(|m| m.id == id));
            let index = by_id.or_else(|| {
                let first = meta.iter().position(|m| m.key == key)?;
                let mut n = 0;
                meta.retain(|m| {
                    n += 1;
                    m.key != key || n - 1 == first
                });
                Some(first)
            });
            match (index, value.is_null()) {
                (Some(index), true) => {
                    meta.remove(index);
                }
                (Some(index), false) => {
                    meta[index].key = key.to_owned();
                    meta[index].value = value;
                }
                (None, true) => {}
                (None, false) => meta.push(Meta { id: self.ids.meta(), key: key.to_owned(), value }),
            }
        }
    }

    /// Changes an order's status as `WC_Order::set_status` and `save` do: the paid and completed
    /// dates it implies, and the system note that tells of the change.
    pub fn set_status(&mut self, order: &mut Order, status: &str, now: i64) {
        if order.status == status {
            return;
        }
        if matches!(status, "processing" | "completed") && order.paid.is_none() {
            order.paid = Some(now);
        }
        if status == "completed" {
            order.completed = Some(now);
        }
        order.notes.push(Note {
            id: self.ids.comment(),
            author: "system".into(),
            created: now,
            note: format!("Order status changed from {} to {}.", status_name(&order.status), status_name(status)),
            customer_note: false,
        });
        order.status = status.to_owned();
    }
}

fn pick_status(rng: &mut StdRng) -> &'static str {
    let total: u32 = STATUS_MIX.iter().map(|(_, weight)| weight).sum();
    let mut roll = rng.gen_range(0..total);
    for (status, weight) in STATUS_MIX {
        if roll < *weight {
            return status;
        }
        roll -= weight;
    }
    "processing"
}

/// The name WooCommerce shows for a status (`wc_get_order_status_name`).
pub fn status_name(status: &str) -> &str {
    match status {
        "pending" => "Pending payment",
        "processing" => "Processing",
        "on-hold" => "On hold",
        "completed" => "Completed",
        "cancelled" => "Cancelled",
        "refunded" => "Refunded",
        "failed" => "Failed",
        "checkout-draft" => "Draft",
        other => other,
    }
}

/// A weight as a merchant types it in `unit`.
fn weight_in(unit: &str, grams: i64) -> String {
    let trimmed = |text: String| text.trim_end_matches('0').trim_end_matches('.').to_owned();
    match unit {
        "g" => grams.to_string(),
        "lbs" => trimmed(format!("{:.2}", grams as f64 / 453.592)),
        "oz" => trimmed(format!("{:.1}", grams as f64 / 28.3495)),
        _ => trimmed(format!("{:.3}", grams as f64 / 1000.0)),
    }
}

fn random_address(rng: &mut StdRng, n: u64) -> Address {
    let first = FIRST_NAMES[rng.gen_range(0..FIRST_NAMES.len())];
    let last = LAST_NAMES[rng.gen_range(0..LAST_NAMES.len())];
    let (city, _, state, _, country, postcode, _, _) = CITIES[rng.gen_range(0..CITIES.len())];
    Address {
        first_name: first.into(),
        last_name: last.into(),
        company: if rng.gen_bool(0.15) { format!("{last} & Co.") } else { String::new() },
        address_1: format!("{} {}", rng.gen_range(1..400), STREETS[rng.gen_range(0..STREETS.len())]),
        address_2: if rng.gen_bool(0.2) { format!("Apt {}", rng.gen_range(1..60)) } else { String::new() },
        city: city.into(),
        state: state.into(),
        postcode: postcode.into(),
        country: country.into(),
        email: format!("{}.{}{n}@example.com", ascii_lower(first), ascii_lower(last)),
        phone: format!("+1 555-01{:02}", rng.gen_range(0..100)),
    }
}

/// The shipping copy of a billing address: no email, no phone.
fn shipping_of(billing: &Address) -> Address {
    Address { email: String::new(), phone: String::new(), ..billing.clone() }
}

fn ascii_lower(text: &str) -> String {
    text.chars().filter(char::is_ascii_alphanumeric).collect::<String>().to_ascii_lowercase()
}

pub fn slugify(text: &str) -> String {
    let mut slug = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}

pub fn random_alnum(rng: &mut StdRng, len: usize) -> String {
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    (0..len).map(|_| CHARS[rng.gen_range(0..CHARS.len())] as char).collect()
}

pub fn random_hex(rng: &mut StdRng, len: usize) -> String {
    (0..len).map(|_| char::from_digit(rng.gen_range(0..16), 16).unwrap_or('0')).collect()
}

fn random_digits(rng: &mut StdRng, len: usize) -> String {
    (0..len).map(|_| char::from_digit(rng.gen_range(0..10), 10).unwrap_or('0')).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(orders: usize) -> WooSiteConfig {
        serde_json::from_value(json!({
            "site": "shop.example.com", "consumer_key": "ck_1", "consumer_secret": "cs_1",
            "products": 12, "customers": 10, "orders": orders, "seed": 4, "shipment_tracking": true
        }))
        .unwrap()
    }

    #[test]
    fn the_same_seed_makes_the_same_site_with_ids_rising_with_time() {
        let now = 1_780_000_000;
        let (a, b) = (SiteData::generate(&config(300), now), SiteData::generate(&config(300), now));
        let summary = |d: &SiteData| d.orders.values().map(|o| (o.id, o.created, o.status.clone())).collect::<Vec<_>>();
        assert_eq!(summary(&a), summary(&b));
        let created: Vec<i64> = a.orders.values().map(|o| o.created).collect();
        assert!(created.windows(2).all(|w| w[0] <= w[1]), "ids rise with the creation date");
        assert!(created.windows(2).any(|w| w[0] == w[1]), "some orders share a second");
        assert!(a.orders.values().all(|o| o.created <= o.modified && o.modified <= now));
        let variable = a.products.values().filter(|p| p.variable).count();
        assert_eq!(variable, 4);
        assert!(a.products.values().filter(|p| p.variable).all(|p| p.variations.len() == 3));
        let busy = a.orders.values().filter(|o| matches!(o.status.as_str(), "processing" | "completed")).count();
        assert!(busy > 200, "most orders are processing or completed: {busy}");
        assert!(a.orders.values().any(|o| !o.tracking.is_empty()));
    }

    #[test]
    fn meta_merges_by_id_then_by_key() {
        let mut data = SiteData::generate(&config(0), 1_780_000_000);
        let mut meta = vec![
            Meta { id: 1, key: "a".into(), value: json!("1") },
            Meta { id: 2, key: "b".into(), value: json!("2") },
            Meta { id: 3, key: "b".into(), value: json!("3") },
        ];
        data.merge_meta(
            &mut meta,
            &[
                json!({"id": 1, "key": "a", "value": "one"}),
                json!({"key": "b", "value": "two"}),
                json!({"key": "c", "value": "new"}),
            ],
        );
        let flat: Vec<(u64, &str, &Value)> = meta.iter().map(|m| (m.id, m.key.as_str(), &m.value)).collect();
        assert_eq!(flat[..2], [(1, "a", &json!("one")), (2, "b", &json!("two"))]);
        assert_eq!((flat[2].1, flat[2].2), ("c", &json!("new")));
        data.merge_meta(&mut meta, &[json!({"key": "a", "value": null})]);
        assert!(meta.iter().all(|m| m.key != "a"));
    }

    #[test]
    fn weights_read_as_merchants_type_them() {
        assert_eq!(weight_in("kg", 1250), "1.25");
        assert_eq!(weight_in("kg", 1000), "1");
        assert_eq!(weight_in("g", 80), "80");
        assert_eq!(weight_in("lbs", 453), "1");
        assert_eq!(weight_in("oz", 100), "3.5");
    }
}
