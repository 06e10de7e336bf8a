//! What a BigCommerce store holds: inventory locations, catalog products with their variants
//! and stock per location, customers, and orders with their line items, shipping addresses and
//! shipments. Generated from a seed (the same seed gives the same store), changed by the API and
//! the control endpoint. Order ids rise with their creation date, as real order numbers do.

use std::collections::BTreeMap;

use rand::{rngs::StdRng, seq::SliceRandom, Rng, SeedableRng};

use super::config::StoreConfig;
use crate::data::{
    pools::{ADJECTIVES, CITIES, FIRST_NAMES, LAST_NAMES, NOUNS, STREETS},
    DAY,
};

/// Every order status, as `/v2/order_statuses` numbers and names them, in the order
/// `/v2/orders/count` lists them.
pub const STATUSES: &[(u8, &str)] = &[
    (0, "Incomplete"),
    (1, "Pending"),
    (7, "Awaiting Payment"),
    (11, "Awaiting Fulfillment"),
    (9, "Awaiting Shipment"),
    (8, "Awaiting Pickup"),
    (3, "Partially Shipped"),
    (10, "Completed"),
    (2, "Shipped"),
    (5, "Cancelled"),
    (6, "Declined"),
    (4, "Refunded"),
    (13, "Disputed"),
    (12, "Manual Verification Required"),
    (14, "Partially Refunded"),
];

pub const SHIPPED: u8 = 2;
pub const PARTIALLY_SHIPPED: u8 = 3;
pub const AWAITING_FULFILLMENT: u8 = 11;

pub fn status_name(id: u8) -> &'static str {
    STATUSES.iter().find(|(n, _)| *n == id).map_or("", |(_, name)| name)
}

/// How often generated orders have each status, most waiting to be shipped or already shipped.
const STATUS_MIX: &[(u8, u32)] =
    &[(11, 40), (9, 5), (2, 25), (3, 3), (10, 10), (7, 5), (1, 2), (0, 2), (5, 4), (4, 2), (12, 2)];

/// The most line items one consignment shows inside an order; the rest only through
/// `/v2/orders/{id}/products`.
pub const CONSIGNMENT_LINE_CAP: usize = 50;

const SIZES: &[&str] = &["S", "M", "L", "XL", "XXL"];
const LOCATION_LABELS: &[&str] = &["Default location", "Lyon dépôt", "Østerbro shop", "Overflow storage"];
const PAYMENT_METHODS: &[&str] = &["Credit Card", "Cash", "Test Payment Gateway", "Manual"];

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Address {
    pub first_name: String,
    pub last_name: String,
    pub company: String,
    pub street_1: String,
    pub street_2: String,
    pub city: String,
    pub state: String,
    pub zip: String,
    pub country: String,
    pub country_iso2: String,
    pub phone: String,
    pub email: String,
}

#[derive(Debug, Clone)]
pub struct Location {
    pub id: u64,
    pub code: String,
    pub label: String,
    pub city: &'static str,
    pub created: i64,
}

/// One variant's stock at one location.
#[derive(Debug, Clone, PartialEq)]
pub struct Stock {
    pub on_hand: i64,
    pub safety_stock: i64,
    pub warning_level: i64,
    pub is_in_stock: bool,
    pub bin_picking_number: String,
}

impl Stock {
    pub fn available(&self) -> i64 {
        (self.on_hand - self.safety_stock).max(0)
    }
}

#[derive(Debug, Clone)]
pub struct Variant {
    pub id: u64,
    /// The v2 SKU id; `None` for a product's base variant.
    pub sku_id: Option<u64>,
    pub sku: String,
    pub price_cents: i64,
    /// In the store's weight unit.
    pub weight: f64,
    /// The size option's value: (option value id, label).
    pub option_value: Option<(u64, String)>,
    /// By location id.
    pub stock: BTreeMap<u64, Stock>,
}

#[derive(Debug, Clone)]
pub struct Product {
    pub id: u64,
    pub name: String,
    pub sku: String,
    pub price_cents: i64,
    pub weight: f64,
    pub dimensions: [f64; 3],
    pub created: i64,
    pub modified: i64,
    /// The size option's id, when the product has one; then stock is tracked by variant.
    pub option_id: Option<u64>,
    pub variants: Vec<Variant>,
    pub total_sold: u64,
}

impl Product {
    pub fn tracked_by_variant(&self) -> bool {
        self.option_id.is_some()
    }

    /// The catalog's `inventory_level`: what the product has on hand everywhere.
    pub fn inventory_level(&self) -> i64 {
        self.variants.iter().flat_map(|v| v.stock.values()).map(|s| s.on_hand).sum()
    }
}

#[derive(Debug, Clone)]
pub struct Customer {
    pub id: u64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub company: String,
    pub phone: String,
    pub notes: String,
    pub address_id: u64,
    pub address: Address,
    pub created: i64,
    pub modified: i64,
}

#[derive(Debug, Clone)]
pub struct ShippingAddress {
    pub id: u64,
    pub address: Address,
    pub shipping_method: String,
    pub cost_cents: i64,
}

/// One line item: an order product.
#[derive(Debug, Clone)]
pub struct Line {
    pub id: u64,
    pub product_id: u64,
    pub variant_id: u64,
    pub order_address_id: u64,
    pub name: String,
    pub sku: String,
    /// The size chosen: (option id, option value id, label).
    pub option: Option<(u64, u64, String)>,
    pub price_cents: i64,
    pub quantity: i64,
    pub quantity_shipped: i64,
    pub weight: f64,
    pub dimensions: [f64; 3],
}

#[derive(Debug, Clone, PartialEq)]
pub struct ShipmentItem {
    pub order_product_id: u64,
    pub product_id: u64,
    pub quantity: i64,
}

#[derive(Debug, Clone)]
pub struct Shipment {
    pub id: u64,
    pub order_address_id: u64,
    pub created: i64,
    pub tracking_number: String,
    pub shipping_provider: String,
    pub tracking_carrier: String,
    pub tracking_link: String,
    pub shipping_method: String,
    pub comments: String,
    pub merchant_shipping_cost: String,
    pub items: Vec<ShipmentItem>,
}

#[derive(Debug, Clone)]
pub struct Order {
    pub id: u64,
    /// 0 for a guest.
    pub customer_id: u64,
    pub status_id: u8,
    pub created: i64,
    pub modified: i64,
    pub shipped: Option<i64>,
    /// Archived.
    pub is_deleted: bool,
    pub billing: Address,
    pub addresses: Vec<ShippingAddress>,
    pub lines: Vec<Line>,
    pub shipments: Vec<Shipment>,
    pub payment_method: &'static str,
    pub cart_id: String,
    pub customer_message: String,
    pub staff_notes: String,
}

impl Order {
    pub fn subtotal_cents(&self) -> i64 {
        self.lines.iter().map(|l| l.price_cents * l.quantity).sum()
    }

    pub fn shipping_cents(&self) -> i64 {
        self.addresses.iter().map(|a| a.cost_cents).sum()
    }

    pub fn items_total(&self) -> i64 {
        self.lines.iter().map(|l| l.quantity).sum()
    }

    pub fn items_shipped(&self) -> i64 {
        self.lines.iter().map(|l| l.quantity_shipped).sum()
    }

    pub fn lines_of(&self, address_id: u64) -> impl Iterator<Item = &Line> {
        self.lines.iter().filter(move |l| l.order_address_id == address_id)
    }
}

/// A stock level set, as the inventory webhooks tell of it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InventoryChange {
    pub product_id: u64,
    pub variant_id: u64,
    pub sku_id: Option<u64>,
    /// Stock is tracked by variant (the product has options), not by product.
    pub by_variant: bool,
    /// The new level.
    pub value: i64,
}

/// A shipment as the API's POST asks for it, its ids already read.
#[derive(Debug, Clone, Default)]
pub struct NewShipment {
    pub order_address_id: u64,
    /// (order product id, quantity).
    pub items: Vec<(u64, i64)>,
    pub tracking_number: String,
    pub shipping_provider: String,
    pub tracking_carrier: String,
    pub tracking_link: String,
    pub shipping_method: String,
    pub comments: String,
    pub merchant_shipping_cost: String,
}

/// What a shipment changed: its id and, when the order's status moved, (before, after).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shipped {
    pub shipment_id: u64,
    pub status_change: Option<(u8, u8)>,
}

#[derive(Debug, Default)]
struct Sequences {
    product: u64,
    variant: u64,
    sku: u64,
    option: u64,
    customer: u64,
    customer_address: u64,
    order: u64,
    order_product: u64,
    order_address: u64,
    shipment: u64,
}

fn next(counter: &mut u64) -> u64 {
    *counter += 1;
    *counter
}

pub struct StoreData {
    pub locations: Vec<Location>,
    pub products: BTreeMap<u64, Product>,
    pub customers: BTreeMap<u64, Customer>,
    pub orders: BTreeMap<u64, Order>,
    /// Every product's id, to draw order lines from.
    product_ids: Vec<u64>,
    variants_per_product: usize,
    ids: Sequences,
    rng: StdRng,
}

impl StoreData {
    pub fn generate(config: &StoreConfig, now: i64) -> StoreData {
        let mut data = StoreData {
            locations: Vec::new(),
            products: BTreeMap::new(),
            customers: BTreeMap::new(),
            orders: BTreeMap::new(),
            product_ids: Vec::new(),
            variants_per_product: config.variants,
            // Real stores' ids do not start at 1: the first order a new store takes is 100.
            ids: Sequences { product: 110, variant: 300, sku: 200, option: 100, order: 99, ..Default::default() },
            rng: StdRng::seed_from_u64(config.seed ^ 0xb16c_0fee),
        };
        for n in 0..config.locations {
            let city = CITIES[n % CITIES.len()].0;
            let label = LOCATION_LABELS.get(n).map_or_else(|| format!("Location {}", n + 1), |l| (*l).to_owned());
            data.locations.push(Location {
                id: n as u64 + 1,
                code: format!("BC-LOCATION-{}", n + 1),
                label,
                city,
                created: now - 400 * DAY,
            });
        }
        for _ in 0..config.products {
            data.add_product(now);
        }
        for _ in 0..config.customers {
            let created = now - data.rng.gen_range(DAY..365 * DAY);
            data.add_customer(created);
        }
        let span = 60 * DAY;
        let step = (span / (config.orders as i64 + 1)).max(1);
        for n in 0..config.orders {
            let created = now - span + n as i64 * step + data.rng.gen_range(0..step);
            let big = data.rng.gen_bool(config.big_orders_share);
            let two = data.rng.gen_bool(config.two_address_share);
            let status = pick_status(&mut data.rng);
            let lines = if big { data.rng.gen_range(51..=75) } else { data.rng.gen_range(1..=4) };
            let id = data.add_order(created, status, lines, two);
            data.add_history(id, now);
        }
        data
    }

    fn add_product(&mut self, now: i64) {
        let id = next(&mut self.ids.product);
        let adjective = ADJECTIVES[self.rng.gen_range(0..ADJECTIVES.len())];
        let noun = NOUNS[self.rng.gen_range(0..NOUNS.len())];
        let sku = format!("{}-{}-{id}", ascii_code(adjective), ascii_code(noun));
        let price_cents = self.rng.gen_range(5..200) * 100 + [0, 50, 95, 99][self.rng.gen_range(0..4)];
        let weight = f64::from(self.rng.gen_range(5..80)) / 10.0;
        let created = now - self.rng.gen_range(200 * DAY..400 * DAY);
        let modified = created + self.rng.gen_range(0..150 * DAY);
        let option_id = (self.variants_per_product > 1).then(|| next(&mut self.ids.option));
        let mut variants = Vec::with_capacity(self.variants_per_product);
        for n in 0..self.variants_per_product {
            let option_value = option_id.map(|_| {
                let label = SIZES.get(n).map_or_else(|| format!("Size {}", n + 1), |s| (*s).to_owned());
                (next(&mut self.ids.option), label)
            });
            let stock = self
                .locations
                .iter()
                .map(|l| {
                    let stock = Stock {
                        on_hand: self.rng.gen_range(0..120),
                        safety_stock: 0,
                        warning_level: 0,
                        is_in_stock: true,
                        bin_picking_number: String::new(),
                    };
                    (l.id, stock)
                })
                .collect();
            variants.push(Variant {
                id: next(&mut self.ids.variant),
                sku_id: option_value.as_ref().map(|_| next(&mut self.ids.sku)),
                sku: match &option_value {
                    Some((_, label)) => format!("{sku}-{}", label.replace(' ', "")),
                    None => sku.clone(),
                },
                price_cents: price_cents + n as i64 * 200,
                weight,
                option_value,
                stock,
            });
        }
        let product = Product {
            id,
            name: format!("{adjective} {noun}"),
            sku,
            price_cents,
            weight,
            dimensions: [f64::from(self.rng.gen_range(2..20)), f64::from(self.rng.gen_range(2..20)), 2.0],
            created,
            modified: modified.min(now),
            option_id,
            variants,
            total_sold: self.rng.gen_range(0..500),
        };
        self.products.insert(id, product);
        self.product_ids.push(id);
    }

    /// A customer who registered at `created`.
    pub fn add_customer(&mut self, created: i64) -> u64 {
        let id = next(&mut self.ids.customer);
        let address = random_address(&mut self.rng, id);
        let customer = Customer {
            id,
            email: address.email.clone(),
            first_name: address.first_name.clone(),
            last_name: address.last_name.clone(),
            company: address.company.clone(),
            phone: address.phone.clone(),
            notes: String::new(),
            address_id: next(&mut self.ids.customer_address),
            address,
            created,
            modified: created,
        };
        self.customers.insert(id, customer);
        id
    }

    /// An order placed at `created` with `lines` line items (products drawn at random), to one
    /// address or two, in status `status`; no shipments yet.
    pub fn add_order(&mut self, created: i64, status: u8, lines: usize, two_addresses: bool) -> u64 {
        let id = next(&mut self.ids.order);
        // Customers are never removed, so their ids run from 1 without gaps.
        let customer = if self.customers.is_empty() || self.rng.gen_bool(0.25) {
            None
        } else {
            self.customers.get(&self.rng.gen_range(1..=self.ids.customer))
        };
        let (customer_id, billing) = match customer {
            Some(c) => (c.id, c.address.clone()),
            None => (0, random_address(&mut self.rng, 10_000 + id)),
        };
        let mut addresses = vec![self.shipping_address(billing.clone())];
        if two_addresses {
            let gift = random_address(&mut self.rng, 20_000 + id);
            addresses.push(self.shipping_address(gift));
        }
        let mut order = self.new_order(id, created, status, customer_id, billing, addresses);
        for n in 0..lines.max(order.addresses.len()) {
            // Every address gets at least one line; the rest fall where they may.
            let address = order.addresses
                [if n < order.addresses.len() { n } else { self.rng.gen_range(0..order.addresses.len()) }]
            .id;
            if let Some(line) = self.random_line(address) {
                order.lines.push(line);
            }
        }
        self.orders.insert(id, order);
        id
    }

    fn new_order(
        &mut self,
        id: u64,
        created: i64,
        status: u8,
        customer_id: u64,
        billing: Address,
        addresses: Vec<ShippingAddress>,
    ) -> Order {
        Order {
            id,
            customer_id,
            status_id: status,
            created,
            modified: created,
            shipped: None,
            is_deleted: false,
            billing,
            addresses,
            lines: Vec::new(),
            shipments: Vec::new(),
            payment_method: PAYMENT_METHODS[self.rng.gen_range(0..PAYMENT_METHODS.len())],
            cart_id: random_uuid(&mut self.rng),
            customer_message: if self.rng.gen_bool(0.1) { "Leave it at the back door.".into() } else { String::new() },
            staff_notes: String::new(),
        }
    }

    /// An order the API creates: of the catalog products named (product, variant or the first,
    /// quantity), shipped to the billing address. `None` when a product or variant is unknown.
    pub fn place_order(
        &mut self,
        now: i64,
        status: u8,
        billing: Address,
        wanted: &[(u64, Option<u64>, i64)],
    ) -> Option<u64> {
        let mut chosen = Vec::with_capacity(wanted.len());
        for (product_id, variant_id, quantity) in wanted {
            let product = self.products.get(product_id)?;
            let index = match variant_id {
                Some(v) => product.variants.iter().position(|x| x.id == *v)?,
                None => 0,
            };
            chosen.push((*product_id, index, *quantity));
        }
        let id = next(&mut self.ids.order);
        let address = self.shipping_address(billing.clone());
        let mut order = self.new_order(id, now, status, 0, billing, vec![address]);
        let address_id = order.addresses[0].id;
        for (product_id, index, quantity) in chosen {
            order.lines.extend(self.line_of(product_id, index, quantity, address_id));
        }
        self.orders.insert(id, order);
        Some(id)
    }

    fn shipping_address(&mut self, address: Address) -> ShippingAddress {
        let (shipping_method, cost_cents) =
            if self.rng.gen_bool(0.2) { ("Free Shipping", 0) } else { ("Flat Rate", 1_000) };
        ShippingAddress {
            id: next(&mut self.ids.order_address),
            address,
            shipping_method: shipping_method.into(),
            cost_cents,
        }
    }

    /// A line of a random product's random variant, to ship to `address`.
    fn random_line(&mut self, address: u64) -> Option<Line> {
        let product_id = *self.product_ids.choose(&mut self.rng)?;
        let variant = self.rng.gen_range(0..self.products[&product_id].variants.len());
        let quantity = if self.rng.gen_bool(0.7) { 1 } else { self.rng.gen_range(2..=3) };
        self.line_of(product_id, variant, quantity, address)
    }

    fn line_of(&mut self, product_id: u64, variant: usize, quantity: i64, address: u64) -> Option<Line> {
        let product = self.products.get(&product_id)?;
        let chosen = product.variants.get(variant)?;
        let option = product.option_id.zip(chosen.option_value.clone()).map(|(o, (v, label))| (o, v, label));
        let line = Line {
            id: 0,
            product_id,
            variant_id: chosen.id,
            order_address_id: address,
            name: product.name.clone(),
            sku: chosen.sku.clone(),
            option,
            price_cents: chosen.price_cents,
            quantity,
            quantity_shipped: 0,
            weight: chosen.weight,
            dimensions: product.dimensions,
        };
        Some(Line { id: next(&mut self.ids.order_product), ..line })
    }

    /// What a generated order went through to reach its status: modifications, and for shipped
    /// ones the shipments that shipped them (all of it, or for Partially Shipped one item).
    fn add_history(&mut self, id: u64, now: i64) {
        let Some(mut order) = self.orders.remove(&id) else { return };
        if order.status_id != 0 && order.status_id != 1 {
            order.modified = (order.created + self.rng.gen_range(60..3 * DAY)).min(now).max(order.created);
        }
        let shipped_at = order.modified;
        match order.status_id {
            SHIPPED | 10 => {
                for address in order.addresses.clone() {
                    let items: Vec<(u64, i64)> = order.lines_of(address.id).map(|l| (l.id, l.quantity)).collect();
                    let request = self.tracked(address.id, items);
                    apply_shipment(&mut order, &mut self.ids.shipment, request, shipped_at);
                }
                order.shipped = Some(shipped_at);
            }
            PARTIALLY_SHIPPED => {
                let first = &order.lines[0];
                let (address, line, quantity) = (first.order_address_id, first.id, first.quantity);
                if order.lines.len() == 1 && quantity == 1 {
                    // Nothing to ship in part: the whole order went.
                    order.status_id = SHIPPED;
                    order.shipped = Some(shipped_at);
                }
                let part = if order.lines.len() == 1 { (quantity + 1) / 2 } else { quantity };
                let request = self.tracked(address, vec![(line, part)]);
                apply_shipment(&mut order, &mut self.ids.shipment, request, shipped_at);
            }
            _ => {}
        }
        self.orders.insert(id, order);
    }

    fn tracked(&mut self, address: u64, items: Vec<(u64, i64)>) -> NewShipment {
        let (provider, number) = if self.rng.gen_bool(0.7) {
            ("usps", format!("9400{}", random_digits(&mut self.rng, 18)))
        } else {
            ("ups", format!("1Z{}", random_digits(&mut self.rng, 16)))
        };
        NewShipment {
            order_address_id: address,
            items,
            tracking_number: number,
            shipping_provider: provider.into(),
            merchant_shipping_cost: "0.0000".into(),
            ..Default::default()
        }
    }

    /// A customer checks out now: a new order in `status`, to one address or two.
    pub fn checkout(&mut self, now: i64, status: u8, lines: usize, two_addresses: bool) -> u64 {
        self.add_order(now, status, lines.max(1), two_addresses)
    }

    /// The merchant adds a line to an order (a random product unless one is named).
    pub fn add_line(&mut self, order_id: u64, product: Option<u64>, quantity: i64, now: i64) -> Option<u64> {
        let address = self.orders.get(&order_id)?.addresses.first()?.id;
        let line = match product {
            Some(product_id) => self.line_of(product_id, 0, quantity, address)?,
            None => Line { quantity, ..self.random_line(address)? },
        };
        let order = self.orders.get_mut(&order_id)?;
        let id = line.id;
        order.lines.push(line);
        order.modified = bump(order.modified, now);
        Some(id)
    }

    /// Ships what `request` names from order `order_id`, if the order has it all to ship: the
    /// address, its products, and the quantities not yet shipped. A refusal names the field.
    pub fn ship(&mut self, order_id: u64, request: NewShipment, now: i64) -> Result<Shipped, &'static str> {
        let order = self.orders.get_mut(&order_id).ok_or("order_id")?;
        if !order.addresses.iter().any(|a| a.id == request.order_address_id) {
            return Err("order_address_id");
        }
        let mut wanted: BTreeMap<u64, i64> = BTreeMap::new();
        for (product, quantity) in &request.items {
            let Some(line) = order.lines.iter().find(|l| l.id == *product) else { return Err("order_product_id") };
            if line.order_address_id != request.order_address_id {
                return Err("order_product_id");
            }
            let total = wanted.entry(*product).or_default();
            *total += quantity;
            if *quantity <= 0 || *total > line.quantity - line.quantity_shipped {
                return Err("quantity");
            }
        }
        let before = order.status_id;
        let shipment_id = apply_shipment(order, &mut self.ids.shipment, request, now);
        let after = if order.items_shipped() >= order.items_total() { SHIPPED } else { PARTIALLY_SHIPPED };
        if after == SHIPPED && order.shipped.is_none() {
            order.shipped = Some(now);
        }
        order.status_id = after;
        order.modified = bump(order.modified, now);
        Ok(Shipped { shipment_id, status_change: (before != after).then_some((before, after)) })
    }

    /// Deletes a shipment: its items count as unshipped again, but the order keeps its status.
    pub fn delete_shipment(&mut self, order_id: u64, shipment_id: u64, now: i64) -> Option<Shipment> {
        let order = self.orders.get_mut(&order_id)?;
        let index = order.shipments.iter().position(|s| s.id == shipment_id)?;
        let shipment = order.shipments.remove(index);
        for item in &shipment.items {
            if let Some(line) = order.lines.iter_mut().find(|l| l.id == item.order_product_id) {
                line.quantity_shipped = (line.quantity_shipped - item.quantity).max(0);
            }
        }
        order.modified = bump(order.modified, now);
        Some(shipment)
    }

    /// Sets an order's status; `Some((before, after))` when it changed.
    pub fn set_status(&mut self, order_id: u64, status: u8, now: i64) -> Option<Option<(u8, u8)>> {
        let order = self.orders.get_mut(&order_id)?;
        let before = order.status_id;
        if before == status {
            return Some(None);
        }
        order.status_id = status;
        if status == SHIPPED && order.shipped.is_none() {
            order.shipped = Some(now);
        }
        order.modified = bump(order.modified, now);
        Some(Some((before, status)))
    }

    /// Sets a variant's stock on hand at a location (absolutely, as the control panel and
    /// absolute adjustments do); `None` when either is unknown.
    pub fn set_stock(&mut self, variant_id: u64, location: u64, on_hand: i64, now: i64) -> Option<InventoryChange> {
        let (product, index) = self.variant_mut(variant_id)?;
        let variant = &mut product.variants[index];
        variant.stock.get_mut(&location)?.on_hand = on_hand;
        let change = InventoryChange {
            product_id: product.id,
            variant_id,
            sku_id: variant.sku_id,
            by_variant: product.option_id.is_some(),
            value: on_hand,
        };
        product.modified = bump(product.modified, now);
        Some(change)
    }

    /// A variant by id, with its product.
    pub fn variant(&self, variant_id: u64) -> Option<(&Product, &Variant)> {
        self.products.values().find_map(|p| p.variants.iter().find(|v| v.id == variant_id).map(|v| (p, v)))
    }

    pub fn variant_mut(&mut self, variant_id: u64) -> Option<(&mut Product, usize)> {
        self.products.values_mut().find_map(|p| {
            let index = p.variants.iter().position(|v| v.id == variant_id)?;
            Some((p, index))
        })
    }

    pub fn location(&self, id: u64) -> Option<&Location> {
        self.locations.iter().find(|l| l.id == id)
    }
}

/// Records a shipment the caller checked, counting its items shipped; returns its id.
fn apply_shipment(order: &mut Order, sequence: &mut u64, request: NewShipment, now: i64) -> u64 {
    let id = next(sequence);
    let mut items = Vec::with_capacity(request.items.len());
    for (product, quantity) in request.items {
        if let Some(line) = order.lines.iter_mut().find(|l| l.id == product) {
            line.quantity_shipped += quantity;
            items.push(ShipmentItem { order_product_id: product, product_id: line.product_id, quantity });
        }
    }
    order.shipments.push(Shipment {
        id,
        order_address_id: request.order_address_id,
        created: now,
        tracking_number: request.tracking_number,
        shipping_provider: request.shipping_provider,
        tracking_carrier: request.tracking_carrier,
        tracking_link: request.tracking_link,
        shipping_method: if request.shipping_method.is_empty() { "None".into() } else { request.shipping_method },
        comments: request.comments,
        merchant_shipping_cost: if request.merchant_shipping_cost.is_empty() {
            "0.0000".into()
        } else {
            request.merchant_shipping_cost
        },
        items,
    });
    id
}

/// The next modification time: now, but always after the last one, so every change is seen by
/// a filter from the previous modification.
pub fn bump(previous: i64, now: i64) -> i64 {
    now.max(previous + 1)
}

fn pick_status(rng: &mut StdRng) -> u8 {
    let total: u32 = STATUS_MIX.iter().map(|(_, weight)| weight).sum();
    let mut roll = rng.gen_range(0..total);
    for (status, weight) in STATUS_MIX {
        if roll < *weight {
            return *status;
        }
        roll -= weight;
    }
    AWAITING_FULFILLMENT
}

fn random_address(rng: &mut StdRng, n: u64) -> Address {
    let first = FIRST_NAMES[rng.gen_range(0..FIRST_NAMES.len())];
    let last = LAST_NAMES[rng.gen_range(0..LAST_NAMES.len())];
    let (city, state, _, country, country_iso2, zip, _, _) = CITIES[rng.gen_range(0..CITIES.len())];
    Address {
        first_name: first.into(),
        last_name: last.into(),
        company: if rng.gen_bool(0.15) { format!("{last} & Co.") } else { String::new() },
        street_1: format!("{} {}", rng.gen_range(1..400), STREETS[rng.gen_range(0..STREETS.len())]),
        street_2: if rng.gen_bool(0.2) { format!("Apt {}", rng.gen_range(1..60)) } else { String::new() },
        city: city.into(),
        state: state.into(),
        zip: zip.into(),
        country: country.into(),
        country_iso2: country_iso2.into(),
        phone: format!("555-01{:02}", rng.gen_range(0..100)),
        email: format!("{}.{}{n}@example.com", ascii_code(first).to_lowercase(), ascii_code(last).to_lowercase()),
    }
}

/// The ASCII letters of a word, upper-cased (`Crème` → `CRME`), for SKUs and email addresses.
fn ascii_code(word: &str) -> String {
    word.chars().filter(char::is_ascii_alphanumeric).collect::<String>().to_ascii_uppercase()
}

fn random_digits(rng: &mut StdRng, len: usize) -> String {
    (0..len).map(|_| char::from_digit(rng.gen_range(0..10), 10).unwrap_or('0')).collect()
}

fn random_uuid(rng: &mut StdRng) -> String {
    let hex = format!("{:032x}", rng.gen::<u128>());
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(extra: serde_json::Value) -> StoreConfig {
        let mut value = serde_json::json!({
            "store_hash": "abc123", "access_token": "t", "client_id": "c",
            "orders": 400, "products": 20, "customers": 30, "locations": 2, "seed": 5
        });
        value.as_object_mut().unwrap().extend(extra.as_object().cloned().unwrap_or_default());
        serde_json::from_value(value).unwrap()
    }

    const NOW: i64 = 1_780_000_000;

    #[test]
    fn the_same_seed_makes_the_same_store_with_ids_rising_with_time() {
        let (a, b) = (
            StoreData::generate(&config(serde_json::json!({})), NOW),
            StoreData::generate(&config(serde_json::json!({})), NOW),
        );
        let summary = |d: &StoreData| {
            d.orders.values().map(|o| (o.id, o.created, o.status_id, o.lines.len())).collect::<Vec<_>>()
        };
        assert_eq!(summary(&a), summary(&b));
        let created: Vec<i64> = a.orders.values().map(|o| o.created).collect();
        assert!(created.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(a.orders.keys().next(), Some(&100));
        assert!(a.orders.values().all(|o| o.created <= o.modified && o.modified <= NOW));
        assert!(a.products.values().all(|p| p.variants.len() == 3 && p.tracked_by_variant()));
        assert!(a.products.values().all(|p| p.variants.iter().all(|v| v.stock.len() == 2)));
    }

    #[test]
    fn shipped_orders_have_shipments_for_what_they_shipped() {
        let data = StoreData::generate(&config(serde_json::json!({"two_address_share": 0.3})), NOW);
        for order in data.orders.values() {
            let shipped_in_shipments: i64 = order.shipments.iter().flat_map(|s| &s.items).map(|i| i.quantity).sum();
            assert_eq!(shipped_in_shipments, order.items_shipped(), "order {}", order.id);
            match order.status_id {
                SHIPPED | 10 => assert_eq!(order.items_shipped(), order.items_total()),
                PARTIALLY_SHIPPED => assert!(0 < order.items_shipped() && order.items_shipped() < order.items_total()),
                _ => assert_eq!(order.items_shipped(), 0),
            }
            assert!(order.addresses.iter().all(|a| order.lines_of(a.id).count() > 0), "every address has lines");
        }
        assert!(data.orders.values().any(|o| o.addresses.len() == 2));
        assert!(data.orders.values().any(|o| o.status_id == PARTIALLY_SHIPPED));
    }

    #[test]
    fn big_orders_have_more_than_fifty_lines() {
        let data = StoreData::generate(&config(serde_json::json!({"big_orders_share": 0.5, "orders": 40})), NOW);
        let big = data.orders.values().filter(|o| o.lines.len() > CONSIGNMENT_LINE_CAP).count();
        assert!((10..=30).contains(&big), "{big}");
    }

    #[test]
    fn a_shipment_takes_only_what_remains_at_its_address() {
        let mut data = StoreData::generate(&config(serde_json::json!({"orders": 0})), NOW);
        let id = data.checkout(NOW, AWAITING_FULFILLMENT, 3, true);
        let order = data.orders[&id].clone();
        let (home, gift) = (order.addresses[0].id, order.addresses[1].id);
        let line = order.lines_of(home).next().unwrap().clone();
        let other = order.lines_of(gift).next().unwrap().clone();
        let ask = |address, items| NewShipment { order_address_id: address, items, ..Default::default() };
        assert_eq!(data.ship(id, ask(999, vec![(line.id, 1)]), NOW), Err("order_address_id"));
        assert_eq!(data.ship(id, ask(home, vec![(other.id, 1)]), NOW), Err("order_product_id"));
        assert_eq!(data.ship(id, ask(home, vec![(line.id, line.quantity + 1)]), NOW), Err("quantity"));
        assert_eq!(data.ship(id, ask(home, vec![(line.id, 0)]), NOW), Err("quantity"));
        let first = data.ship(id, ask(home, vec![(line.id, line.quantity)]), NOW + 5).unwrap();
        assert_eq!(first.status_change, Some((AWAITING_FULFILLMENT, PARTIALLY_SHIPPED)));
        assert_eq!(data.ship(id, ask(home, vec![(line.id, 1)]), NOW), Err("quantity"), "nothing of it remains");
        let order = &data.orders[&id];
        assert_eq!((order.modified, order.shipped), (NOW + 5, None));
        let rest: Vec<NewShipment> = order
            .addresses
            .iter()
            .map(|a| {
                ask(
                    a.id,
                    order
                        .lines_of(a.id)
                        .filter(|l| l.quantity_shipped < l.quantity)
                        .map(|l| (l.id, l.quantity - l.quantity_shipped))
                        .collect(),
                )
            })
            .filter(|r| !r.items.is_empty())
            .collect();
        let last = rest.into_iter().map(|r| data.ship(id, r, NOW + 9).unwrap()).last().unwrap();
        assert_eq!(last.status_change, Some((PARTIALLY_SHIPPED, SHIPPED)));
        assert_eq!(data.orders[&id].shipped, Some(NOW + 9));

        data.delete_shipment(id, first.shipment_id, NOW + 20).unwrap();
        let order = &data.orders[&id];
        assert_eq!(order.status_id, SHIPPED, "deleting a shipment does not move the order out of Shipped");
        assert!(order.items_shipped() < order.items_total());
    }
}
