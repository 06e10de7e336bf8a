//! The seeded generation: the same seed gives the same shop, with ids, ages, statuses and
//! missing fields spread the way real shops have them.

use std::collections::{BTreeMap, HashMap};

use rand::{rngs::StdRng, Rng, SeedableRng};
use time::UtcOffset;

use super::{
    fulfillment::{FULFILLMENT_IDS, FULFILLMENT_LINE_IDS, FULFILLMENT_ORDER_IDS, FULFILLMENT_ORDER_LINE_IDS},
    mix,
    pools::{ADJECTIVES, CITIES, FIRST_NAMES, LAST_NAMES, LOCATION_NAMES, NOUNS, STREETS, TAGS},
    Address, Customer, Line, Location, Order, Product, ShopData, Variant, DAY,
};
use crate::config::ShopConfig;

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
}

/// The ids of products and customers, for picking one at random in constant time.
pub(super) struct Keys {
    products: Vec<u64>,
    customers: Vec<u64>,
}

impl Keys {
    pub(super) fn of(data: &ShopData) -> Keys {
        Keys { products: data.products.keys().copied().collect(), customers: data.customers.keys().copied().collect() }
    }
}

/// Ids above 2^32, as real shops have, increasing with creation like Shopify's.
pub(super) struct Ids(pub(super) u64);

impl Ids {
    pub(super) fn next(&mut self, rng: &mut StdRng) -> u64 {
        self.0 += rng.gen_range(1..1000);
        self.0
    }
}

pub(super) fn next_after(map_last: Option<u64>, base: u64, rng: &mut StdRng) -> u64 {
    map_last.unwrap_or(base) + rng.gen_range(1..1000)
}

pub(super) const ORDER_IDS: u64 = 5_600_000_000_000;
pub(super) const PRODUCT_IDS: u64 = 7_100_000_000_000;
pub(super) const VARIANT_IDS: u64 = 42_000_000_000_000;
pub(super) const INVENTORY_ITEM_IDS: u64 = 44_000_000_000_000;
pub(super) const CUSTOMER_IDS: u64 = 6_900_000_000_000;
pub(super) const LOCATION_IDS: u64 = 61_000_000_000;
pub(super) const LINE_IDS: u64 = 13_000_000_000_000;

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
            fulfillment_order_index: HashMap::new(),
            last_fulfillment_order_id: FULFILLMENT_ORDER_IDS,
            last_fulfillment_order_line_id: FULFILLMENT_ORDER_LINE_IDS,
            fulfillment_index: HashMap::new(),
            last_fulfillment_id: FULFILLMENT_IDS,
            last_fulfillment_line_id: FULFILLMENT_LINE_IDS,
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
            let mut product = random_product(&mut rng, n, now, &mut product_ids, &mut variant_ids, &mut item_ids);
            if let Some(count) = config.variants {
                let template = product.variants[0].clone();
                product.variants.truncate(count.max(1));
                while product.variants.len() < count {
                    let v = product.variants.len() + 1;
                    product.variants.push(Variant {
                        id: variant_ids.next(&mut rng),
                        inventory_item_id: item_ids.next(&mut rng),
                        title: format!("Option {v}"),
                        sku: format!("{}-{v}", template.sku),
                        ..template.clone()
                    });
                }
            }
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
                let age = if let Some(days) = config.order_days {
                    rng.gen_range(3600..days.max(1) * DAY)
                } else if rng.gen_ratio(1, 3) {
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
        let order_ids: Vec<u64> = data.orders.keys().copied().collect();
        for id in order_ids {
            data.assign_fulfillment_orders(id);
        }
        data.rng = rng;
        data
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn random_order(
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
            fulfillment_orders: Vec::new(),
            fulfillments: Vec::new(),
        }
    }
}

pub(super) fn random_product(
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

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::{config::Config, data::OrderStatus};

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
