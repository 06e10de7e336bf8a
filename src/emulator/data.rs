//! A shop's data: generated deterministically from a seed, kept compact in memory, and rendered
//! into Shopify's JSON shapes (the 2026-07 reference examples are the templates) on request.

use std::{collections::BTreeMap, sync::LazyLock};

use rand::{rngs::StdRng, Rng, SeedableRng};
use serde_json::{json, Value};
use time::{format_description::well_known::Rfc3339, OffsetDateTime, UtcOffset};

use super::config::ShopConfig;

pub const DAY: i64 = 86_400;

/// The real JSON each rendered record starts from, so every key Shopify sends is there.
struct Templates {
    order: Value,
    product: Value,
    customer: Value,
    location: Value,
    inventory_level: Value,
    fulfillment_order: Value,
    shop: Value,
}

static TEMPLATES: LazyLock<Templates> = LazyLock::new(|| {
    let parse = |text: &str| serde_json::from_str::<Value>(text).expect("embedded templates are valid JSON");
    Templates {
        order: parse(include_str!("templates/order.json")),
        product: parse(include_str!("templates/product.json")),
        customer: parse(include_str!("templates/customer.json")),
        location: parse(include_str!("templates/location.json")),
        inventory_level: parse(include_str!("templates/inventory_level.json")),
        fulfillment_order: parse(include_str!("templates/fulfillment_order.json")),
        shop: parse(include_str!("templates/shop.json")),
    }
});

const FIRST_NAMES: &[&str] = &[
    "Ada",
    "José",
    "Zoë",
    "Łukasz",
    "Søren",
    "Chloé",
    "Björk",
    "Ünal",
    "Mei",
    "Olamide",
    "Ngọc",
    "François",
    "Ana",
    "Noah",
    "Priya",
    "Mateus",
    "Ines",
    "Kenji",
    "Sofía",
    "Emil",
];
const LAST_NAMES: &[&str] = &[
    "Lovelace",
    "García",
    "Müller",
    "Nowak",
    "Kjær",
    "Dubois",
    "Guðmundsdóttir",
    "Yılmaz",
    "Chen",
    "Adeyemi",
    "Nguyễn",
    "Lefèvre",
    "Silva",
    "Smith",
    "Patel",
    "Costa",
    "Ferreira",
    "Tanaka",
    "Martínez",
    "Berg",
];
const STREETS: &[&str] =
    &["Chestnut Street", "Rue de Rivoli", "Königstraße", "Main Street", "Calle Mayor", "Ørstedsvej", "King's Road"];
/// city, province, province code, country, country code, zip, latitude, longitude
type City = (&'static str, &'static str, &'static str, &'static str, &'static str, &'static str, f64, f64);
const CITIES: &[City] = &[
    ("Louisville", "Kentucky", "KY", "United States", "US", "40202", 38.25, -85.76),
    ("Ottawa", "Ontario", "ON", "Canada", "CA", "K2P 1L4", 45.42, -75.69),
    ("Paris", "Île-de-France", "IDF", "France", "FR", "75001", 48.86, 2.35),
    ("München", "Bayern", "BY", "Germany", "DE", "80331", 48.14, 11.58),
    ("São Paulo", "São Paulo", "SP", "Brazil", "BR", "01000-000", -23.55, -46.63),
    ("Austin", "Texas", "TX", "United States", "US", "73301", 30.27, -97.74),
    ("København", "Capital Region", "84", "Denmark", "DK", "1050", 55.68, 12.57),
];
const ADJECTIVES: &[&str] =
    &["Crème", "Nordic", "Ōsaka", "Zürich", "Classic", "Rugged", "Señor", "Smørrebrød", "Vintage", "Alpine", "Coastal"];
const NOUNS: &[&str] =
    &["Mug", "Jacket", "Tea Set", "Backpack", "Lamp", "Scarf", "Bottle", "Notebook", "Candle", "Blanket"];
const LOCATION_NAMES: &[&str] = &["Main warehouse", "Lyon dépôt", "Østerbro shop", "Overflow storage", "Pop-up Ōsaka"];
const TAGS: &[&str] = &["", "", "wholesale", "VIP, repeat", "Léon, Noël", "gift"];

/// A postal address, stored as indices into the pools above.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Address {
    pub first: u8,
    pub last: u8,
    pub number: u16,
    pub street: u8,
    pub city: u8,
}

impl Address {
    fn random(rng: &mut StdRng) -> Address {
        Address {
            first: rng.gen_range(0..FIRST_NAMES.len()) as u8,
            last: rng.gen_range(0..LAST_NAMES.len()) as u8,
            number: rng.gen_range(1..400),
            street: rng.gen_range(0..STREETS.len()) as u8,
            city: rng.gen_range(0..CITIES.len()) as u8,
        }
    }

    pub fn first_name(&self) -> &'static str {
        FIRST_NAMES[self.first as usize]
    }

    pub fn last_name(&self) -> &'static str {
        LAST_NAMES[self.last as usize]
    }

    fn render(&self, phone: Option<&str>) -> Value {
        let (city, province, province_code, country, country_code, zip, lat, lng) = CITIES[self.city as usize];
        json!({
            "first_name": self.first_name(), "last_name": self.last_name(),
            "name": format!("{} {}", self.first_name(), self.last_name()),
            "company": null, "address1": format!("{} {}", STREETS[self.street as usize], self.number), "address2": "",
            "city": city, "province": province, "province_code": province_code, "country": country,
            "country_code": country_code, "zip": zip, "phone": phone, "latitude": lat, "longitude": lng,
        })
    }
}

#[derive(Debug, Clone)]
pub struct Location {
    pub id: u64,
    pub name: String,
    pub address: Address,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone)]
pub struct Variant {
    pub id: u64,
    pub inventory_item_id: u64,
    pub title: String,
    pub sku: String,
    pub price_cents: i64,
    pub grams: i64,
}

#[derive(Debug, Clone)]
pub struct Product {
    pub id: u64,
    pub title: String,
    pub handle: String,
    pub vendor: &'static str,
    pub product_type: &'static str,
    pub status: &'static str,
    pub tags: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub variants: Vec<Variant>,
}

#[derive(Debug, Clone)]
pub struct Customer {
    pub id: u64,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Address,
    pub note: Option<String>,
    pub tags: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub orders_count: i64,
    pub total_spent_cents: i64,
    pub last_order: Option<(u64, u64)>,
}

/// One line of an order; the product's details are copied, as Shopify freezes them at sale.
#[derive(Debug, Clone)]
pub struct Line {
    pub id: u64,
    pub product_id: u64,
    pub variant_id: u64,
    pub inventory_item_id: u64,
    pub title: String,
    pub variant_title: String,
    pub sku: String,
    pub price_cents: i64,
    pub grams: i64,
    pub quantity: i64,
}

#[derive(Debug, Clone)]
pub struct Order {
    pub id: u64,
    pub number: u64,
    pub created_at: i64,
    pub updated_at: i64,
    pub cancelled_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub financial_status: &'static str,
    pub fulfilled: bool,
    pub customer_id: Option<u64>,
    pub email: Option<String>,
    pub ship_to: Option<Address>,
    pub bill_to: Address,
    pub lines: Vec<Line>,
    pub tags: String,
    pub note: Option<String>,
}

/// Shopify's `status` filter for orders.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OrderStatus {
    Open,
    Closed,
    Cancelled,
    Any,
}

impl Order {
    pub fn matches(&self, status: OrderStatus) -> bool {
        match status {
            OrderStatus::Any => true,
            OrderStatus::Cancelled => self.cancelled_at.is_some(),
            OrderStatus::Closed => self.closed_at.is_some() && self.cancelled_at.is_none(),
            OrderStatus::Open => self.closed_at.is_none() && self.cancelled_at.is_none(),
        }
    }

    fn subtotal_cents(&self) -> i64 {
        self.lines.iter().map(|l| l.price_cents * l.quantity).sum()
    }

    pub fn total_weight(&self) -> i64 {
        self.lines.iter().map(|l| l.grams * l.quantity).sum()
    }
}

/// Everything one shop holds. Maps are keyed by id, so `since_id` walks are range scans.
pub struct ShopData {
    pub handle: String,
    pub name: String,
    pub shop_id: u64,
    pub offset: UtcOffset,
    pub created_at: i64,
    pub locations: BTreeMap<u64, Location>,
    pub products: BTreeMap<u64, Product>,
    pub customers: BTreeMap<u64, Customer>,
    pub orders: BTreeMap<u64, Order>,
    rng: StdRng,
}

/// The ids of products and customers, for picking one at random in constant time.
struct Keys {
    products: Vec<u64>,
    customers: Vec<u64>,
}

impl Keys {
    fn of(data: &ShopData) -> Keys {
        Keys { products: data.products.keys().copied().collect(), customers: data.customers.keys().copied().collect() }
    }
}

/// Ids above 2^32, as real shops have, increasing with creation like Shopify's.
struct Ids(u64);

impl Ids {
    fn next(&mut self, rng: &mut StdRng) -> u64 {
        self.0 += rng.gen_range(1..1000);
        self.0
    }
}

fn next_after(map_last: Option<u64>, base: u64, rng: &mut StdRng) -> u64 {
    map_last.unwrap_or(base) + rng.gen_range(1..1000)
}

const ORDER_IDS: u64 = 5_600_000_000_000;
const PRODUCT_IDS: u64 = 7_100_000_000_000;
const VARIANT_IDS: u64 = 42_000_000_000_000;
const INVENTORY_ITEM_IDS: u64 = 44_000_000_000_000;
const CUSTOMER_IDS: u64 = 6_900_000_000_000;
const LOCATION_IDS: u64 = 61_000_000_000;
const LINE_IDS: u64 = 13_000_000_000_000;

pub fn money(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

fn money_set(cents: i64) -> Value {
    let amount = json!({"amount": money(cents), "currency_code": "USD"});
    json!({"shop_money": amount.clone(), "presentment_money": amount})
}

fn patch(target: &mut Value, fields: Value) {
    if let (Some(target), Value::Object(fields)) = (target.as_object_mut(), fields) {
        for (key, value) in fields {
            target.insert(key, value);
        }
    }
}

/// splitmix64: a stable hash for values derived from ids (inventory counts).
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn ascii_slug(text: &str) -> String {
    let mut slug = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        let c = match c {
            'à'..='å' | 'ā' => 'a',
            'è'..='ë' => 'e',
            'ì'..='ï' => 'i',
            'ò'..='ö' | 'ø' | 'ō' | 'ọ' => 'o',
            'ù'..='ü' => 'u',
            'ñ' => 'n',
            'ł' => 'l',
            'ç' => 'c',
            'ð' => 'd',
            'ı' => 'i',
            'ễ' => 'e',
            c => c,
        };
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}

impl ShopData {
    /// Generates the shop described by `config`, as of `now` (Unix seconds).
    pub fn generate(config: &ShopConfig, now: i64) -> ShopData {
        let mut rng = StdRng::seed_from_u64(config.seed);
        let offset = UtcOffset::from_whole_seconds(config.utc_offset_minutes * 60).unwrap_or(UtcOffset::UTC);
        let mut data = ShopData {
            handle: config.handle.clone(),
            name: config.name.clone().unwrap_or_else(|| format!("{} Store", capitalize(&config.handle))),
            shop_id: 50_000_000_000 + mix(config.seed) % 10_000_000_000,
            offset,
            created_at: now - 1100 * DAY,
            locations: BTreeMap::new(),
            products: BTreeMap::new(),
            customers: BTreeMap::new(),
            orders: BTreeMap::new(),
            rng: StdRng::seed_from_u64(0),
        };

        let mut ids = Ids(LOCATION_IDS);
        for n in 0..config.locations.max(1) {
            let created_at = now - 1050 * DAY + n as i64 * DAY;
            let id = ids.next(&mut rng);
            let name = match LOCATION_NAMES.get(n) {
                Some(name) => (*name).to_owned(),
                None => format!("Location {}", n + 1),
            };
            data.locations.insert(
                id,
                Location { id, name, address: Address::random(&mut rng), created_at, updated_at: created_at },
            );
        }

        let (mut product_ids, mut variant_ids, mut item_ids) =
            (Ids(PRODUCT_IDS), Ids(VARIANT_IDS), Ids(INVENTORY_ITEM_IDS));
        for n in 0..config.products {
            let product = random_product(&mut rng, n, now, &mut product_ids, &mut variant_ids, &mut item_ids);
            data.products.insert(product.id, product);
        }

        let mut customer_ids = Ids(CUSTOMER_IDS);
        for n in 0..config.customers {
            let created_at = now - rng.gen_range(750 * DAY..1000 * DAY);
            let address = Address::random(&mut rng);
            let email = (rng.gen_ratio(93, 100)).then(|| {
                format!("{}.{}{n}@example.com", ascii_slug(address.first_name()), ascii_slug(address.last_name()))
            });
            let phone = rng.gen_ratio(6, 10).then(|| format!("+1613555{:04}", n % 10_000));
            let id = customer_ids.next(&mut rng);
            data.customers.insert(
                id,
                Customer {
                    id,
                    email,
                    phone,
                    address,
                    note: None,
                    tags: TAGS[rng.gen_range(0..TAGS.len())].to_owned(),
                    created_at,
                    updated_at: created_at + rng.gen_range(0..DAY),
                    orders_count: 0,
                    total_spent_cents: 0,
                    last_order: None,
                },
            );
        }

        // Order ages: a third within the last 60 days, the rest up to two years old.
        let mut created: Vec<i64> = (0..config.orders)
            .map(|_| {
                let age = if rng.gen_ratio(1, 3) {
                    rng.gen_range(3600..60 * DAY)
                } else {
                    rng.gen_range(61 * DAY..730 * DAY)
                };
                now - age
            })
            .collect();
        created.sort_unstable();
        let keys = Keys::of(&data);
        let mut order_ids = Ids(ORDER_IDS);
        let mut line_ids = Ids(LINE_IDS);
        for (n, created_at) in created.into_iter().enumerate() {
            let id = order_ids.next(&mut rng);
            let order = data.random_order(&mut rng, id, 1001 + n as u64, created_at, now, &keys, &mut line_ids);
            data.orders.insert(id, order);
        }
        let orders: Vec<(u64, u64, Option<u64>, i64, bool)> = data
            .orders
            .values()
            .map(|o| (o.id, o.number, o.customer_id, o.subtotal_cents(), o.cancelled_at.is_some()))
            .collect();
        for (id, number, customer, cents, cancelled) in orders {
            if let Some(customer) = customer.and_then(|c| data.customers.get_mut(&c)) {
                customer.orders_count += 1;
                if !cancelled {
                    customer.total_spent_cents += cents;
                }
                customer.last_order = Some((id, number));
            }
        }
        data.rng = rng;
        data
    }

    #[allow(clippy::too_many_arguments)]
    fn random_order(
        &self,
        rng: &mut StdRng,
        id: u64,
        number: u64,
        created_at: i64,
        now: i64,
        keys: &Keys,
        line_ids: &mut Ids,
    ) -> Order {
        let customers = &keys.customers;
        let age = now - created_at;
        let customer_id =
            (!customers.is_empty() && rng.gen_ratio(95, 100)).then(|| customers[rng.gen_range(0..customers.len())]);
        let customer = customer_id.and_then(|c| self.customers.get(&c));
        let bill_to = customer.map(|c| c.address).unwrap_or_else(|| Address::random(rng));
        // Some orders need no shipping (pickup, digital goods): no address, as in real shops.
        let ship_to = rng.gen_ratio(92, 100).then_some(bill_to);
        let mut lines = Vec::new();
        if !keys.products.is_empty() {
            for _ in 0..rng.gen_range(1..=3) {
                let product = &self.products[&keys.products[rng.gen_range(0..keys.products.len())]];
                let variant = &product.variants[rng.gen_range(0..product.variants.len())];
                lines.push(Line {
                    id: line_ids.next(rng),
                    product_id: product.id,
                    variant_id: variant.id,
                    inventory_item_id: variant.inventory_item_id,
                    title: product.title.clone(),
                    variant_title: variant.title.clone(),
                    sku: variant.sku.clone(),
                    price_cents: variant.price_cents,
                    grams: variant.grams,
                    quantity: rng.gen_range(1..=3),
                });
            }
        }
        let roll = rng.gen_range(0..100);
        let (cancelled, fulfilled, closed) = match (roll, age > 14 * DAY) {
            (0..=4, _) => (true, false, true),
            (_, true) => (false, roll < 88, roll < 88),
            (_, false) => (false, roll >= 75, false),
        };
        let updated_at = created_at + rng.gen_range(0..(age.clamp(1, 10 * DAY)));
        Order {
            id,
            number,
            created_at,
            updated_at,
            cancelled_at: cancelled.then_some(updated_at),
            closed_at: closed.then_some(updated_at),
            financial_status: if cancelled {
                "voided"
            } else if rng.gen_ratio(9, 10) {
                "paid"
            } else {
                "pending"
            },
            fulfilled,
            customer_id,
            email: customer.and_then(|c| c.email.clone()),
            ship_to,
            bill_to,
            lines,
            tags: TAGS[rng.gen_range(0..TAGS.len())].to_owned(),
            note: rng.gen_ratio(1, 10).then(|| "Leave at the back door, s'il vous plaît.".to_owned()),
        }
    }

    pub fn timestamp(&self, secs: i64) -> String {
        OffsetDateTime::from_unix_timestamp(secs)
            .map(|t| t.to_offset(self.offset))
            .ok()
            .and_then(|t| t.format(&Rfc3339).ok())
            .unwrap_or_default()
    }

    pub fn domain(&self) -> String {
        format!("{}.myshopify.com", self.handle)
    }

    pub fn first_location(&self) -> Option<&Location> {
        self.locations.values().next()
    }

    // ---- Rendering into Shopify's JSON ----

    pub fn render_shop(&self, plan_name: &str) -> Value {
        let mut shop = TEMPLATES.shop.clone();
        let location = self.first_location();
        let hours = self.offset.whole_hours();
        let minutes = self.offset.minutes_past_hour().abs();
        let timezone = if self.offset.whole_minutes() == -300 {
            "(GMT-05:00) Eastern Time (US & Canada)".to_owned()
        } else {
            format!("(GMT{hours:+03}:{minutes:02}) UTC")
        };
        patch(
            &mut shop,
            json!({
                "id": self.shop_id, "name": self.name, "email": format!("owner@{}", self.domain()),
                "domain": self.domain(), "myshopify_domain": self.domain(),
                "created_at": self.timestamp(self.created_at), "updated_at": self.timestamp(self.created_at + DAY),
                "timezone": timezone, "shop_owner": "Ada Lovelace", "currency": "USD", "weight_unit": "kg",
                "plan_name": plan_name, "plan_display_name": plan_display(plan_name),
                "primary_location_id": location.map(|l| l.id),
                "multi_location_enabled": self.locations.len() > 1,
            }),
        );
        shop
    }

    pub fn render_location(&self, location: &Location) -> Value {
        let mut value = TEMPLATES.location.clone();
        let address = location.address.render(Some("+1 613 555 0100"));
        patch(
            &mut value,
            json!({
                "id": location.id, "name": location.name, "address1": address["address1"], "address2": null,
                "city": address["city"], "zip": address["zip"], "province": address["province"],
                "country": address["country_code"], "country_code": address["country_code"],
                "country_name": address["country"], "province_code": address["province_code"],
                "phone": address["phone"], "created_at": self.timestamp(location.created_at),
                "updated_at": self.timestamp(location.updated_at), "legacy": false, "active": true,
                "admin_graphql_api_id": format!("gid://shopify/Location/{}", location.id),
            }),
        );
        value
    }

    pub fn render_product(&self, product: &Product) -> Value {
        let mut value = TEMPLATES.product.clone();
        let variant_template = TEMPLATES.product["variants"][0].clone();
        let variants: Vec<Value> = product
            .variants
            .iter()
            .enumerate()
            .map(|(n, v)| {
                let mut variant = variant_template.clone();
                patch(
                    &mut variant,
                    json!({
                        "id": v.id, "product_id": product.id, "title": v.title, "price": money(v.price_cents),
                        "position": n + 1, "option1": v.title, "option2": null, "option3": null,
                        "created_at": self.timestamp(product.created_at), "updated_at": self.timestamp(product.updated_at),
                        "barcode": format!("{:013}", v.id % 10_000_000_000_000), "grams": v.grams,
                        "weight": (v.grams as f64 / 10.0).round() / 100.0, "weight_unit": "kg", "sku": v.sku,
                        "inventory_item_id": v.inventory_item_id,
                        "inventory_quantity": self.total_available(v.inventory_item_id),
                        "old_inventory_quantity": self.total_available(v.inventory_item_id),
                        "presentment_prices": [{"price": {"amount": money(v.price_cents), "currency_code": "USD"}, "compare_at_price": null}],
                        "admin_graphql_api_id": format!("gid://shopify/ProductVariant/{}", v.id), "image_id": null,
                    }),
                );
                variant
            })
            .collect();
        let option_values: Vec<&str> = product.variants.iter().map(|v| v.title.as_str()).collect();
        patch(
            &mut value,
            json!({
                "id": product.id, "title": product.title, "body_html": format!("<p>{}</p>", product.title),
                "vendor": product.vendor, "product_type": product.product_type,
                "created_at": self.timestamp(product.created_at), "handle": product.handle,
                "updated_at": self.timestamp(product.updated_at), "published_at": self.timestamp(product.created_at),
                "tags": product.tags, "status": product.status,
                "admin_graphql_api_id": format!("gid://shopify/Product/{}", product.id), "variants": variants,
                "options": [{"id": product.id + 1, "product_id": product.id, "name": "Size", "position": 1, "values": option_values}],
                "images": [], "image": null,
            }),
        );
        value
    }

    pub fn render_customer(&self, customer: &Customer) -> Value {
        let mut value = TEMPLATES.customer.clone();
        let mut address = customer.address.render(customer.phone.as_deref());
        let country_name = address["country"].clone();
        patch(
            &mut address,
            json!({"id": customer.id + 3, "customer_id": customer.id, "default": true, "country_name": country_name}),
        );
        patch(
            &mut value,
            json!({
                "id": customer.id, "email": customer.email, "created_at": self.timestamp(customer.created_at),
                "updated_at": self.timestamp(customer.updated_at), "first_name": customer.address.first_name(),
                "last_name": customer.address.last_name(), "orders_count": customer.orders_count,
                "state": if customer.email.is_some() { "enabled" } else { "disabled" },
                "total_spent": money(customer.total_spent_cents), "last_order_id": customer.last_order.map(|o| o.0),
                "last_order_name": customer.last_order.map(|o| format!("#{}", o.1)), "note": customer.note,
                "verified_email": customer.email.is_some(), "tags": customer.tags, "phone": customer.phone,
                "addresses": [address.clone()], "default_address": address,
                "admin_graphql_api_id": format!("gid://shopify/Customer/{}", customer.id),
            }),
        );
        if customer.email.is_none() {
            value["email_marketing_consent"] = Value::Null;
        }
        if customer.phone.is_none() {
            value["sms_marketing_consent"] = Value::Null;
        }
        value
    }

    pub fn render_order(&self, order: &Order) -> Value {
        let mut value = TEMPLATES.order.clone();
        let template = &TEMPLATES.order;
        let subtotal = order.subtotal_cents();
        let shipping = if order.ship_to.is_some() { 500 + (order.id % 10) as i64 * 100 } else { 0 };
        let tax = (subtotal * 6 + 50) / 100;
        let total = subtotal + tax + shipping;
        let fulfillment_status = order.fulfilled.then_some("fulfilled");
        let lines: Vec<Value> = order
            .lines
            .iter()
            .map(|line| {
                let mut item = template["line_items"][0].clone();
                patch(
                    &mut item,
                    json!({
                        "id": line.id, "admin_graphql_api_id": format!("gid://shopify/LineItem/{}", line.id),
                        "name": format!("{} - {}", line.title, line.variant_title), "title": line.title,
                        "variant_title": line.variant_title, "sku": line.sku, "vendor": "storelink emulator",
                        "quantity": line.quantity, "current_quantity": line.quantity,
                        "fulfillable_quantity": if order.fulfilled || order.cancelled_at.is_some() { 0 } else { line.quantity },
                        "fulfillment_status": fulfillment_status, "grams": line.grams, "price": money(line.price_cents),
                        "price_set": money_set(line.price_cents), "product_id": line.product_id, "variant_id": line.variant_id,
                        "product_exists": true, "total_discount": "0.00", "total_discount_set": money_set(0),
                        "tax_lines": [], "discount_allocations": [], "duties": [], "properties": [],
                    }),
                );
                item
            })
            .collect();
        let customer = order.customer_id.and_then(|id| self.customers.get(&id)).map(|c| {
            let mut embedded = template["customer"].clone();
            let full = self.render_customer(c);
            if let Some(fields) = embedded.as_object_mut() {
                for (key, slot) in fields.iter_mut() {
                    if let Some(v) = full.get(key) {
                        *slot = v.clone();
                    }
                }
            }
            embedded
        });
        let fulfillments: Vec<Value> = if order.fulfilled {
            let mut fulfillment = template["fulfillments"][0].clone();
            patch(
                &mut fulfillment,
                json!({
                    "id": order.id + 7, "admin_graphql_api_id": format!("gid://shopify/Fulfillment/{}", order.id + 7),
                    "created_at": self.timestamp(order.updated_at), "updated_at": self.timestamp(order.updated_at),
                    "location_id": self.first_location().map(|l| l.id), "name": format!("#{}.1", order.number),
                    "order_id": order.id, "status": "success", "tracking_company": "UPS",
                    "tracking_number": format!("1Z{:016}", order.id % 10_000_000_000_000_000),
                    "tracking_numbers": [format!("1Z{:016}", order.id % 10_000_000_000_000_000)],
                    "line_items": lines.clone(),
                }),
            );
            vec![fulfillment]
        } else {
            Vec::new()
        };
        let shipping_lines: Vec<Value> = if order.ship_to.is_some() {
            let mut line = template["shipping_lines"][0].clone();
            patch(
                &mut line,
                json!({"id": order.id + 11, "title": "Standard Shipping", "code": "Standard", "price": money(shipping),
                       "price_set": money_set(shipping), "discounted_price": money(shipping),
                       "discounted_price_set": money_set(shipping), "tax_lines": [], "discount_allocations": []}),
            );
            vec![line]
        } else {
            Vec::new()
        };
        let token = format!("{:016x}{:016x}", mix(order.id), mix(order.id ^ 0xa5a5));
        patch(
            &mut value,
            json!({
                "id": order.id, "admin_graphql_api_id": format!("gid://shopify/Order/{}", order.id),
                "name": format!("#{}", order.number), "number": order.number - 1000, "order_number": order.number,
                "email": order.email, "contact_email": order.email,
                "phone": customer.as_ref().and_then(|c| c["phone"].as_str().map(str::to_owned)),
                "created_at": self.timestamp(order.created_at), "updated_at": self.timestamp(order.updated_at),
                "processed_at": self.timestamp(order.created_at),
                "cancelled_at": order.cancelled_at.map(|t| self.timestamp(t)),
                "cancel_reason": order.cancelled_at.map(|_| "customer"),
                "closed_at": order.closed_at.map(|t| self.timestamp(t)),
                "confirmation_number": format!("{:09X}", mix(order.id) % 0xF_FFFF_FFFF),
                "financial_status": order.financial_status, "fulfillment_status": fulfillment_status,
                "subtotal_price": money(subtotal), "subtotal_price_set": money_set(subtotal),
                "current_subtotal_price": money(subtotal), "current_subtotal_price_set": money_set(subtotal),
                "total_line_items_price": money(subtotal), "total_line_items_price_set": money_set(subtotal),
                "total_tax": money(tax), "total_tax_set": money_set(tax),
                "current_total_tax": money(tax), "current_total_tax_set": money_set(tax),
                "total_discounts": "0.00", "total_discounts_set": money_set(0),
                "current_total_discounts": "0.00", "current_total_discounts_set": money_set(0),
                "total_price": money(total), "total_price_set": money_set(total),
                "current_total_price": money(total), "current_total_price_set": money_set(total),
                "total_shipping_price_set": money_set(shipping), "total_outstanding": "0.00",
                "total_weight": order.total_weight(), "tags": order.tags, "note": order.note, "note_attributes": [],
                "discount_codes": [], "discount_applications": [],
                "tax_lines": [{"price": money(tax), "rate": 0.06, "title": "Sales Tax", "price_set": money_set(tax), "channel_liable": null}],
                "token": token, "cart_token": null, "checkout_token": null, "checkout_id": null,
                "order_status_url": format!("https://{}/{}/orders/{token}/authenticate?key=x", self.domain(), self.shop_id),
                "billing_address": order.bill_to.render(None),
                "shipping_address": order.ship_to.map(|a| a.render(None)),
                "customer": customer, "line_items": lines, "fulfillments": fulfillments, "refunds": [],
                "shipping_lines": shipping_lines, "po_number": null, "reference": null, "source_identifier": null,
                "landing_site": null, "referring_site": null, "landing_site_ref": null, "payment_gateway_names": ["manual"],
            }),
        );
        value
    }

    /// Fulfillment orders: what each location must ship for the order.
    pub fn render_fulfillment_orders(&self, order: &Order) -> Vec<Value> {
        let Some(location) = self.first_location() else { return Vec::new() };
        let mut value = TEMPLATES.fulfillment_order.clone();
        let fo_id = order.id + 3;
        let status = if order.cancelled_at.is_some() {
            "cancelled"
        } else if order.fulfilled {
            "closed"
        } else {
            "open"
        };
        let location_address = location.address.render(None);
        let destination = order.ship_to.map(|a| {
            let r = a.render(None);
            json!({"id": order.id + 13, "address1": r["address1"], "address2": r["address2"], "city": r["city"],
                   "company": null, "country": r["country"], "email": order.email, "first_name": r["first_name"],
                   "last_name": r["last_name"], "phone": r["phone"], "province": r["province"], "zip": r["zip"]})
        });
        let lines: Vec<Value> = order
            .lines
            .iter()
            .map(|l| {
                json!({"id": l.id + 5, "shop_id": self.shop_id, "fulfillment_order_id": fo_id, "quantity": l.quantity,
                       "line_item_id": l.id, "inventory_item_id": l.inventory_item_id,
                       "fulfillable_quantity": if status == "open" { l.quantity } else { 0 }, "variant_id": l.variant_id})
            })
            .collect();
        patch(
            &mut value,
            json!({
                "id": fo_id, "created_at": self.timestamp(order.created_at), "updated_at": self.timestamp(order.updated_at),
                "shop_id": self.shop_id, "order_id": order.id, "assigned_location_id": location.id,
                "request_status": "unsubmitted", "status": status,
                "supported_actions": if status == "open" { json!(["create_fulfillment", "move"]) } else { json!([]) },
                "destination": destination, "line_items": lines,
                "assigned_location": {"address1": location_address["address1"], "address2": null,
                    "city": location_address["city"], "country_code": location_address["country_code"],
                    "location_id": location.id, "name": location.name, "phone": null,
                    "province": location_address["province"], "zip": location_address["zip"]},
            }),
        );
        vec![value]
    }

    /// Units of one inventory item available at one location.
    pub fn available(&self, inventory_item_id: u64, location_id: u64) -> i64 {
        (mix(inventory_item_id ^ location_id.rotate_left(17)) % 120) as i64 - 5
    }

    fn total_available(&self, inventory_item_id: u64) -> i64 {
        self.locations.keys().map(|l| self.available(inventory_item_id, *l)).sum()
    }

    /// Every (location, inventory item) pair with its level, in location then item order.
    pub fn inventory_levels(&self, location_ids: &[u64]) -> Vec<(u64, u64, i64)> {
        let mut levels = Vec::new();
        for location in location_ids.iter().filter(|id| self.locations.contains_key(id)) {
            let mut items: Vec<(u64, i64)> = self
                .products
                .values()
                .flat_map(|p| p.variants.iter().map(|v| (v.inventory_item_id, p.updated_at)))
                .collect();
            items.sort_unstable();
            levels.extend(items.into_iter().map(|(item, _)| (*location, item, self.available(item, *location))));
        }
        levels
    }

    pub fn render_inventory_level(&self, location_id: u64, item: u64, available: i64) -> Value {
        let mut value = TEMPLATES.inventory_level.clone();
        let updated = self.locations.get(&location_id).map(|l| l.updated_at).unwrap_or(self.created_at);
        patch(
            &mut value,
            json!({"inventory_item_id": item, "location_id": location_id, "available": available,
                   "updated_at": self.timestamp(updated),
                   "admin_graphql_api_id": format!("gid://shopify/InventoryLevel/{location_id}?inventory_item_id={item}")}),
        );
        value
    }

    // ---- Changes at run time (the control endpoint) ----

    /// Creates a new order now and returns its id.
    pub fn create_order(&mut self, now: i64) -> u64 {
        let mut rng = std::mem::replace(&mut self.rng, StdRng::seed_from_u64(0));
        let id = next_after(self.orders.keys().next_back().copied(), ORDER_IDS, &mut rng);
        let number = self.orders.values().next_back().map_or(1001, |o| o.number + 1);
        let last_line = self.orders.values().flat_map(|o| o.lines.iter().map(|l| l.id)).max().unwrap_or(LINE_IDS);
        let mut line_ids = Ids(last_line);
        let keys = Keys::of(self);
        let mut order = self.random_order(&mut rng, id, number, now, now, &keys, &mut line_ids);
        // A new order is open and awaits shipping.
        (order.cancelled_at, order.closed_at, order.fulfilled, order.updated_at) = (None, None, false, now);
        self.orders.insert(id, order);
        self.rng = rng;
        id
    }

    /// Creates a new product now and returns its id.
    pub fn create_product(&mut self, now: i64) -> u64 {
        let mut rng = std::mem::replace(&mut self.rng, StdRng::seed_from_u64(0));
        let last = |f: fn(&Variant) -> u64, base| {
            self.products.values().flat_map(|p| p.variants.iter().map(f)).max().unwrap_or(base)
        };
        let mut variant_ids = Ids(last(|v| v.id, VARIANT_IDS));
        let mut item_ids = Ids(last(|v| v.inventory_item_id, INVENTORY_ITEM_IDS));
        let mut product_ids = Ids(self.products.keys().next_back().copied().unwrap_or(PRODUCT_IDS));
        let mut product =
            random_product(&mut rng, self.products.len(), now, &mut product_ids, &mut variant_ids, &mut item_ids);
        product.created_at = now;
        product.updated_at = now;
        let id = product.id;
        self.products.insert(id, product);
        self.rng = rng;
        id
    }
}

fn random_product(
    rng: &mut StdRng,
    n: usize,
    now: i64,
    product_ids: &mut Ids,
    variant_ids: &mut Ids,
    item_ids: &mut Ids,
) -> Product {
    let title = format!(
        "{} {} {}",
        ADJECTIVES[rng.gen_range(0..ADJECTIVES.len())],
        NOUNS[rng.gen_range(0..NOUNS.len())],
        n + 1
    );
    let created_at = now - rng.gen_range(900 * DAY..1000 * DAY);
    let sizes = ["S", "M", "L", "XL"];
    let count = rng.gen_range(1..=4);
    let variants = (0..count)
        .map(|v| Variant {
            id: variant_ids.next(rng),
            inventory_item_id: item_ids.next(rng),
            title: if count == 1 { "Default Title".to_owned() } else { sizes[v].to_owned() },
            sku: format!("SL-{:05}-{}", n + 1, v + 1),
            price_cents: rng.gen_range(500..25_000),
            grams: rng.gen_range(50..5000),
        })
        .collect();
    Product {
        id: product_ids.next(rng),
        handle: format!("{}-{}", ascii_slug(&title), n + 1),
        title,
        vendor: ["Nordlys", "Atelier Léa", "Kōbō Works"][rng.gen_range(0..3)],
        product_type: ["Home", "Apparel", "Outdoor"][rng.gen_range(0..3)],
        status: match rng.gen_range(0..20) {
            0 => "draft",
            1 => "archived",
            _ => "active",
        },
        tags: TAGS[rng.gen_range(0..TAGS.len())].to_owned(),
        created_at,
        updated_at: created_at + rng.gen_range(0..800 * DAY),
        variants,
    }
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

fn plan_display(plan_name: &str) -> &'static str {
    match plan_name {
        "enterprise" => "Shopify Plus",
        "professional" => "Advanced",
        _ => "Basic",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::config::Config;

    fn shop(orders: usize) -> ShopData {
        let config = Config::from_json(&format!(
            r#"{{"shops": [{{"handle": "acme", "access_token": "t", "scopes": [], "locations": 2,
                "products": 20, "customers": 30, "orders": {orders}, "seed": 7}}]}}"#
        ))
        .unwrap();
        ShopData::generate(&config.shops[0], 1_795_757_460)
    }

    #[test]
    fn the_same_seed_gives_the_same_shop() {
        let (a, b) = (shop(200), shop(200));
        let render = |s: &ShopData| s.orders.values().map(|o| s.render_order(o)).collect::<Vec<_>>();
        assert_eq!(render(&a), render(&b));
    }

    #[test]
    fn generated_data_looks_like_a_real_shop() {
        let data = shop(600);
        let orders: Vec<Value> = data.orders.values().map(|o| data.render_order(o)).collect();
        assert!(data.orders.keys().all(|id| *id > u64::from(u32::MAX)));
        assert!(orders.iter().all(|o| o["created_at"].as_str().unwrap().ends_with("-05:00")));
        assert!(orders.iter().all(|o| o["total_price"].is_string() && o["tags"].is_string()));
        assert!(orders.iter().any(|o| o["shipping_address"].is_null()));
        assert!(orders.iter().any(|o| o["email"].is_null()));
        for status in [OrderStatus::Open, OrderStatus::Closed, OrderStatus::Cancelled] {
            assert!(data.orders.values().any(|o| o.matches(status)), "{status:?}");
        }
        assert!(data.orders.values().any(|o| o.fulfilled) && data.orders.values().any(|o| !o.fulfilled));
        let now = 1_795_757_460;
        assert!(data.orders.values().any(|o| now - o.created_at > 60 * DAY));
        assert!(data.orders.values().any(|o| now - o.created_at < 60 * DAY));
        assert!(data.products.values().any(|p| p.variants.len() > 1));
        assert!(data.customers.values().any(|c| c.email.is_none()));
        let names: String = data.customers.values().map(|c| c.address.last_name()).collect();
        assert!(!names.is_ascii(), "some names are not ASCII");
        // Ids increase with creation time, as Shopify's do.
        let created: Vec<i64> = data.orders.values().map(|o| o.created_at).collect();
        assert!(created.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn slugs_are_ascii() {
        assert_eq!(ascii_slug("Crème Brûlée Mug 3"), "creme-brulee-mug-3");
        assert_eq!(ascii_slug("Łukasz"), "lukasz");
    }
}
