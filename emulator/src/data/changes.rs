//! Changes to a shop's records at run time, made through the control endpoint: new orders and
//! products that continue the seeded shop's ids and numbers.

use rand::{rngs::StdRng, SeedableRng};

use super::{
    generate::{
        next_after, random_product, Ids, Keys, INVENTORY_ITEM_IDS, LINE_IDS, ORDER_IDS, PRODUCT_IDS, VARIANT_IDS,
    },
    ShopData, Variant,
};

/// Shopify's limit of variants per product in GraphQL.
pub const MAX_VARIANTS: usize = 2048;

impl ShopData {
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
        self.assign_fulfillment_orders(id);
        self.rng = rng;
        id
    }

    /// Creates a new product now and returns its id.
    pub fn create_product(&mut self, now: i64) -> u64 {
        self.create_product_with(now, None)
    }

    /// Creates a new product now with `variants` variants (up to Shopify's 2048; by default the
    /// usual one to four) and returns its id.
    pub fn create_product_with(&mut self, now: i64, variants: Option<usize>) -> u64 {
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
        if let Some(count) = variants.map(|n| n.clamp(1, MAX_VARIANTS)) {
            let template = product.variants[0].clone();
            let n = self.products.len() + 1;
            product.variants = (0..count)
                .map(|v| Variant {
                    id: variant_ids.next(&mut rng),
                    inventory_item_id: item_ids.next(&mut rng),
                    title: if count == 1 { "Default Title".to_owned() } else { format!("Option {}", v + 1) },
                    sku: format!("SL-{n:05}-{}", v + 1),
                    price_cents: template.price_cents + (v as i64 % 7) * 100,
                    grams: template.grams,
                })
                .collect();
        }
        let id = product.id;
        self.products.insert(id, product);
        self.rng = rng;
        id
    }
}
