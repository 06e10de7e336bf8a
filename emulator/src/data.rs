//! A shop's data: generated deterministically from a seed, kept compact in memory, and rendered
//! into Shopify's JSON shapes (the 2026-07 reference examples are the templates) on request.

use std::{collections::BTreeMap, sync::LazyLock};

use rand::{rngs::StdRng, Rng, SeedableRng};
use serde_json::{json, Value};
use time::{format_description::well_known::Rfc3339, OffsetDateTime, UtcOffset};

use super::{
    config::ShopConfig,
    skeleton::{array, Literal, Raw, Skeleton},
};

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

/// The templates with holes for what each record fills in (see `write_order` and friends for the
/// values, given in the same order as these keys).
struct Skeletons {
    address: Skeleton,
    customer_address: Skeleton,
    order: Skeleton,
    line_item: Skeleton,
    fulfillment: Skeleton,
    shipping_line: Skeleton,
    order_customer: Skeleton,
    customer: Skeleton,
    product: Skeleton,
    variant: Skeleton,
}

const CUSTOMER_HOLES: &str = "id email created_at updated_at first_name last_name orders_count state total_spent \
last_order_id last_order_name note verified_email tags phone addresses default_address \
admin_graphql_api_id email_marketing_consent sms_marketing_consent";

const ADDRESS_HOLES: &str = "first_name last_name name company address1 address2 city province province_code country \
country_code zip phone latitude longitude id customer_id default country_name";

static SKELETONS: LazyLock<Skeletons> = LazyLock::new(|| {
    let keys: Vec<&str> = ADDRESS_HOLES.split_whitespace().collect();
    let address: Value = keys[..15].iter().map(|k| ((*k).to_owned(), Value::Null)).collect();
    let customer_address: Value = keys.iter().map(|k| ((*k).to_owned(), Value::Null)).collect();
    let order = &TEMPLATES.order;
    // An order embeds its customer with fewer keys than the customer endpoint shows.
    let mut order_customer = TEMPLATES.customer.clone();
    if let (Some(fields), Some(embedded)) = (order_customer.as_object_mut(), order["customer"].as_object()) {
        fields.retain(|key, _| embedded.contains_key(key));
    }
    Skeletons {
        address: Skeleton::new(&address, ADDRESS_HOLES),
        customer_address: Skeleton::new(&customer_address, ADDRESS_HOLES),
        order: Skeleton::new(
            order,
            "id admin_graphql_api_id name number order_number email contact_email phone created_at \
updated_at processed_at cancelled_at cancel_reason closed_at confirmation_number \
financial_status fulfillment_status subtotal_price subtotal_price_set current_subtotal_price \
current_subtotal_price_set total_line_items_price total_line_items_price_set total_tax \
total_tax_set current_total_tax current_total_tax_set total_discounts total_discounts_set \
current_total_discounts current_total_discounts_set total_price total_price_set \
current_total_price current_total_price_set total_shipping_price_set total_outstanding \
total_weight tags note note_attributes discount_codes discount_applications tax_lines token \
cart_token checkout_token checkout_id order_status_url billing_address shipping_address \
customer line_items fulfillments refunds shipping_lines po_number reference source_identifier \
landing_site referring_site landing_site_ref payment_gateway_names",
        ),
        line_item: Skeleton::new(
            &order["line_items"][0],
            "id admin_graphql_api_id name title variant_title sku vendor quantity current_quantity \
fulfillable_quantity fulfillment_status grams price price_set product_id variant_id \
product_exists total_discount total_discount_set tax_lines discount_allocations duties \
properties",
        ),
        fulfillment: Skeleton::new(
            &order["fulfillments"][0],
            "id admin_graphql_api_id created_at updated_at location_id name order_id status tracking_company \
tracking_number tracking_numbers line_items",
        ),
        shipping_line: Skeleton::new(
            &order["shipping_lines"][0],
            "id title code price price_set discounted_price discounted_price_set tax_lines \
discount_allocations",
        ),
        order_customer: Skeleton::new(&order_customer, CUSTOMER_HOLES),
        customer: Skeleton::new(&TEMPLATES.customer, CUSTOMER_HOLES),
        product: Skeleton::new(
            &TEMPLATES.product,
            "id title body_html vendor product_type created_at handle updated_at published_at tags status \
admin_graphql_api_id variants options images image",
        ),
        variant: Skeleton::new(
            &TEMPLATES.product["variants"][0],
            "id product_id title price position option1 option2 option3 created_at updated_at barcode grams \
weight weight_unit sku inventory_item_id inventory_quantity old_inventory_quantity \
presentment_prices admin_graphql_api_id image_id",
        ),
    }
});

const EMPTY: Literal = Literal("[]");

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
        parsed(|out| self.write(&SKELETONS.address, phone, 0, 0, out))
    }

    /// Written by `skeleton`: an order's address, or a customer's with its `id` and `customer_id`.
    fn write(&self, skeleton: &Skeleton, phone: Option<&str>, id: u64, customer_id: u64, out: &mut Vec<u8>) {
        let (city, province, province_code, country, country_code, zip, lat, lng) = CITIES[self.city as usize];
        skeleton.write(
            out,
            &[
                &self.first_name(),
                &self.last_name(),
                &format!("{} {}", self.first_name(), self.last_name()),
                &None::<u64>,
                &format!("{} {}", STREETS[self.street as usize], self.number),
                &"",
                &city,
                &province,
                &province_code,
                &country,
                &country_code,
                &zip,
                &phone,
                &lat,
                &lng,
                &id,
                &customer_id,
                &true,
                &country,
            ],
        );
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

fn money_set(cents: i64) -> Raw {
    let amount = format!(r#"{{"amount":"{}","currency_code":"USD"}}"#, money(cents));
    Raw(format!(r#"{{"presentment_money":{amount},"shop_money":{amount}}}"#).into_bytes())
}

fn order_address(address: &Address) -> Raw {
    let mut out = Vec::new();
    address.write(&SKELETONS.address, None, 0, 0, &mut out);
    Raw(out)
}

/// Renders through a skeleton and reads the JSON back, for the callers that edit or compare it.
fn parsed(write: impl FnOnce(&mut Vec<u8>)) -> Value {
    let mut out = Vec::new();
    write(&mut out);
    serde_json::from_slice(&out).expect("skeletons write valid JSON")
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
        parsed(|out| self.write_product(product, out))
    }

    pub fn render_customer(&self, customer: &Customer) -> Value {
        parsed(|out| self.write_customer(customer, out))
    }

    pub fn render_order(&self, order: &Order) -> Value {
        parsed(|out| self.write_order(order, out))
    }

    pub fn write_product(&self, product: &Product, out: &mut Vec<u8>) {
        let created_at = self.timestamp(product.created_at);
        let updated_at = self.timestamp(product.updated_at);
        let variants = array(&product.variants, |v, out| {
            let position = product.variants.iter().position(|x| x.id == v.id).unwrap_or(0) + 1;
            let available = self.total_available(v.inventory_item_id);
            let prices = Raw(format!(
                r#"[{{"compare_at_price":null,"price":{{"amount":"{}","currency_code":"USD"}}}}]"#,
                money(v.price_cents)
            )
            .into_bytes());
            SKELETONS.variant.write(
                out,
                &[
                    &v.id,
                    &product.id,
                    &v.title,
                    &money(v.price_cents),
                    &position,
                    &v.title,
                    &None::<u64>,
                    &None::<u64>,
                    &created_at,
                    &updated_at,
                    &format!("{:013}", v.id % 10_000_000_000_000),
                    &v.grams,
                    &((v.grams as f64 / 10.0).round() / 100.0),
                    &"kg",
                    &v.sku,
                    &v.inventory_item_id,
                    &available,
                    &available,
                    &prices,
                    &format!("gid://shopify/ProductVariant/{}", v.id),
                    &None::<u64>,
                ],
            );
        });
        let values: Vec<&str> = product.variants.iter().map(|v| v.title.as_str()).collect();
        let options =
            json!([{"id": product.id + 1, "product_id": product.id, "name": "Size", "position": 1, "values": values}]);
        SKELETONS.product.write(
            out,
            &[
                &product.id,
                &product.title,
                &format!("<p>{}</p>", product.title),
                &product.vendor,
                &product.product_type,
                &created_at,
                &product.handle,
                &updated_at,
                &created_at,
                &product.tags,
                &product.status,
                &format!("gid://shopify/Product/{}", product.id),
                &variants,
                &options,
                &EMPTY,
                &None::<u64>,
            ],
        );
    }

    pub fn write_customer(&self, customer: &Customer, out: &mut Vec<u8>) {
        self.write_customer_as(&SKELETONS.customer, customer, out);
    }

    /// A customer, whole or as embedded in an order (the same values; the skeleton picks the keys).
    fn write_customer_as(&self, skeleton: &Skeleton, customer: &Customer, out: &mut Vec<u8>) {
        let mut address = Vec::new();
        let phone = customer.phone.as_deref();
        customer.address.write(&SKELETONS.customer_address, phone, customer.id + 3, customer.id, &mut address);
        let addresses = Raw([b"[", address.as_slice(), b"]"].concat());
        let address = Raw(address);
        let email_consent = customer.email.as_ref().map(|_| &TEMPLATES.customer["email_marketing_consent"]);
        let sms_consent = customer.phone.as_ref().map(|_| &TEMPLATES.customer["sms_marketing_consent"]);
        skeleton.write(
            out,
            &[
                &customer.id,
                &customer.email,
                &self.timestamp(customer.created_at),
                &self.timestamp(customer.updated_at),
                &customer.address.first_name(),
                &customer.address.last_name(),
                &customer.orders_count,
                &if customer.email.is_some() { "enabled" } else { "disabled" },
                &money(customer.total_spent_cents),
                &customer.last_order.map(|o| o.0),
                &customer.last_order.map(|o| format!("#{}", o.1)),
                &customer.note,
                &customer.email.is_some(),
                &customer.tags,
                &customer.phone,
                &addresses,
                &address,
                &format!("gid://shopify/Customer/{}", customer.id),
                &email_consent.cloned(),
                &sms_consent.cloned(),
            ],
        );
    }

    pub fn write_order(&self, order: &Order, out: &mut Vec<u8>) {
        let subtotal = order.subtotal_cents();
        let shipping = if order.ship_to.is_some() { 500 + (order.id % 10) as i64 * 100 } else { 0 };
        let tax = (subtotal * 6 + 50) / 100;
        let total = subtotal + tax + shipping;
        let fulfillment_status = order.fulfilled.then_some("fulfilled");
        let unfulfillable = order.fulfilled || order.cancelled_at.is_some();
        let lines = array(&order.lines, |line, out| {
            SKELETONS.line_item.write(
                out,
                &[
                    &line.id,
                    &format!("gid://shopify/LineItem/{}", line.id),
                    &format!("{} - {}", line.title, line.variant_title),
                    &line.title,
                    &line.variant_title,
                    &line.sku,
                    &"storelink emulator",
                    &line.quantity,
                    &line.quantity,
                    &if unfulfillable { 0 } else { line.quantity },
                    &fulfillment_status,
                    &line.grams,
                    &money(line.price_cents),
                    &money_set(line.price_cents),
                    &line.product_id,
                    &line.variant_id,
                    &true,
                    &"0.00",
                    &money_set(0),
                    &EMPTY,
                    &EMPTY,
                    &EMPTY,
                    &EMPTY,
                ],
            );
        });
        let buyer = order.customer_id.and_then(|id| self.customers.get(&id));
        let customer = buyer.map(|c| {
            let mut embedded = Vec::new();
            self.write_customer_as(&SKELETONS.order_customer, c, &mut embedded);
            Raw(embedded)
        });
        let fulfillments = if order.fulfilled {
            let tracking = format!("1Z{:016}", order.id % 10_000_000_000_000_000);
            let at = self.timestamp(order.updated_at);
            let mut out = vec![b'['];
            SKELETONS.fulfillment.write(
                &mut out,
                &[
                    &(order.id + 7),
                    &format!("gid://shopify/Fulfillment/{}", order.id + 7),
                    &at,
                    &at,
                    &self.first_location().map(|l| l.id),
                    &format!("#{}.1", order.number),
                    &order.id,
                    &"success",
                    &"UPS",
                    &tracking,
                    &json!([tracking]),
                    &lines,
                ],
            );
            out.push(b']');
            Raw(out)
        } else {
            Raw(b"[]".to_vec())
        };
        let shipping_lines = if order.ship_to.is_some() {
            let mut out = vec![b'['];
            SKELETONS.shipping_line.write(
                &mut out,
                &[
                    &(order.id + 11),
                    &"Standard Shipping",
                    &"Standard",
                    &money(shipping),
                    &money_set(shipping),
                    &money(shipping),
                    &money_set(shipping),
                    &EMPTY,
                    &EMPTY,
                ],
            );
            out.push(b']');
            Raw(out)
        } else {
            Raw(b"[]".to_vec())
        };
        let phone = buyer.and_then(|c| c.phone.as_deref());
        let token = format!("{:016x}{:016x}", mix(order.id), mix(order.id ^ 0xa5a5));
        let tax_lines = Raw(format!(
            r#"[{{"channel_liable":null,"price":"{}","price_set":{},"rate":0.06,"title":"Sales Tax"}}]"#,
            money(tax),
            String::from_utf8_lossy(&money_set(tax).0)
        )
        .into_bytes());
        let (subtotal_text, subtotal_set) = (money(subtotal), money_set(subtotal));
        let (tax_text, tax_set) = (money(tax), money_set(tax));
        let (total_text, total_set) = (money(total), money_set(total));
        let zero_set = money_set(0);
        let created_at = self.timestamp(order.created_at);
        SKELETONS.order.write(
            out,
            &[
                &order.id,
                &format!("gid://shopify/Order/{}", order.id),
                &format!("#{}", order.number),
                &(order.number - 1000),
                &order.number,
                &order.email,
                &order.email,
                &phone,
                &created_at,
                &self.timestamp(order.updated_at),
                &created_at,
                &order.cancelled_at.map(|t| self.timestamp(t)),
                &order.cancelled_at.map(|_| "customer"),
                &order.closed_at.map(|t| self.timestamp(t)),
                &format!("{:09X}", mix(order.id) % 0xF_FFFF_FFFF),
                &order.financial_status,
                &fulfillment_status,
                &subtotal_text,
                &subtotal_set,
                &subtotal_text,
                &subtotal_set,
                &subtotal_text,
                &subtotal_set,
                &tax_text,
                &tax_set,
                &tax_text,
                &tax_set,
                &"0.00",
                &zero_set,
                &"0.00",
                &zero_set,
                &total_text,
                &total_set,
                &total_text,
                &total_set,
                &money_set(shipping),
                &"0.00",
                &order.total_weight(),
                &order.tags,
                &order.note,
                &EMPTY,
                &EMPTY,
                &EMPTY,
                &tax_lines,
                &token,
                &None::<u64>,
                &None::<u64>,
                &None::<u64>,
                &format!("https://{}/{}/orders/{token}/authenticate?key=x", self.domain(), self.shop_id),
                &order_address(&order.bill_to),
                &order.ship_to.as_ref().map(order_address),
                &customer,
                &lines,
                &fulfillments,
                &EMPTY,
                &shipping_lines,
                &None::<u64>,
                &None::<u64>,
                &None::<u64>,
                &None::<u64>,
                &None::<u64>,
                &None::<u64>,
                &Literal(r#"["manual"]"#),
            ],
        );
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
    use crate::config::Config;

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
