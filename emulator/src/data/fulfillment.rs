//! Fulfillment orders: what each location must ship for an order. Every order has one at the
//! location that stocks it; about one in ten with two or more lines is split over two locations,
//! so a desk sees orders grouped by location. Their ids are stable (derived from the order's, not
//! drawn from the seeded generator, so adding them changed no other generated value), and they
//! change with the order: fulfilled, cancelled or closed orders close their fulfillment orders.

use super::{mix, Order, ShopData};

/// Shopify's `FulfillmentOrderStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FoStatus {
    Open,
    InProgress,
    Closed,
    Cancelled,
    OnHold,
    Scheduled,
    Incomplete,
}

impl FoStatus {
    /// The GraphQL enum value.
    pub fn graphql(self) -> &'static str {
        match self {
            FoStatus::Open => "OPEN",
            FoStatus::InProgress => "IN_PROGRESS",
            FoStatus::Closed => "CLOSED",
            FoStatus::Cancelled => "CANCELLED",
            FoStatus::OnHold => "ON_HOLD",
            FoStatus::Scheduled => "SCHEDULED",
            FoStatus::Incomplete => "INCOMPLETE",
        }
    }

    /// The REST value.
    pub fn rest(self) -> &'static str {
        match self {
            FoStatus::Open => "open",
            FoStatus::InProgress => "in_progress",
            FoStatus::Closed => "closed",
            FoStatus::Cancelled => "cancelled",
            FoStatus::OnHold => "on_hold",
            FoStatus::Scheduled => "scheduled",
            FoStatus::Incomplete => "incomplete",
        }
    }

    /// OPEN and IN_PROGRESS are the states a fulfillment can be created in.
    pub fn fulfillable(self) -> bool {
        matches!(self, FoStatus::Open | FoStatus::InProgress)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct FoLine {
    pub id: u64,
    pub line_item_id: u64,
    pub total: i64,
    pub remaining: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FulfillmentOrder {
    pub id: u64,
    pub order_id: u64,
    pub location_id: u64,
    pub status: FoStatus,
    pub created_at: i64,
    pub updated_at: i64,
    pub lines: Vec<FoLine>,
}

impl FulfillmentOrder {
    pub fn remaining(&self) -> i64 {
        self.lines.iter().map(|l| l.remaining).sum()
    }
}

pub(super) const FULFILLMENT_ORDER_IDS: u64 = 6_400_000_000_000;
pub(super) const FULFILLMENT_ORDER_LINE_IDS: u64 = 15_800_000_000_000;

/// The next id after `previous`, a stable step derived from `salt`.
fn step(previous: u64, salt: u64) -> u64 {
    previous + 1 + mix(salt) % 997
}

/// What an order's state makes of its fulfillment orders: their status, and whether what
/// remains to ship is cleared.
fn state_for(order: &Order) -> (FoStatus, bool) {
    if order.cancelled_at.is_some() || order.fulfilled {
        (FoStatus::Closed, true)
    } else if order.closed_at.is_some() {
        (FoStatus::Closed, false)
    } else {
        (FoStatus::Open, false)
    }
}

impl ShopData {
    /// Gives `order` its fulfillment orders, with ids after the last ones given out.
    pub(super) fn assign_fulfillment_orders(&mut self, order_id: u64) {
        let location_ids: Vec<u64> = self.locations.keys().copied().collect();
        let Some(order) = self.orders.get(&order_id) else { return };
        if location_ids.is_empty() || order.lines.is_empty() {
            return;
        }
        let salt = order.id;
        let home = if location_ids.len() > 1 && mix(salt ^ 0x10c).is_multiple_of(4) {
            1 + (mix(salt ^ 0x10d) % (location_ids.len() as u64 - 1)) as usize
        } else {
            0
        };
        let split = location_ids.len() > 1 && order.lines.len() > 1 && mix(salt ^ 0xf0).is_multiple_of(10);
        let (status, cleared) = state_for(order);
        let cut = if split { order.lines.len().div_ceil(2) } else { order.lines.len() };
        let groups: Vec<(usize, &[super::Line])> = if split {
            let other = if home == 0 { 1 } else { 0 };
            vec![(home, &order.lines[..cut]), (other, &order.lines[cut..])]
        } else {
            vec![(home, &order.lines[..])]
        };
        let mut fulfillment_orders = Vec::new();
        for (k, (location, lines)) in groups.into_iter().enumerate() {
            self.last_fulfillment_order_id = step(self.last_fulfillment_order_id, salt ^ k as u64);
            let mut fo_lines = Vec::new();
            for line in lines {
                self.last_fulfillment_order_line_id = step(self.last_fulfillment_order_line_id, line.id);
                fo_lines.push(FoLine {
                    id: self.last_fulfillment_order_line_id,
                    line_item_id: line.id,
                    total: line.quantity,
                    remaining: if cleared { 0 } else { line.quantity },
                });
            }
            fulfillment_orders.push(FulfillmentOrder {
                id: self.last_fulfillment_order_id,
                order_id,
                location_id: location_ids[location],
                status,
                created_at: order.created_at,
                updated_at: order.updated_at,
                lines: fo_lines,
            });
        }
        for fo in &fulfillment_orders {
            self.fulfillment_order_index.insert(fo.id, order_id);
        }
        if let Some(order) = self.orders.get_mut(&order_id) {
            order.fulfillment_orders = fulfillment_orders;
        }
    }

    /// Brings an order's fulfillment orders in line with the order after a change at `now`.
    pub fn refresh_fulfillment_orders(&mut self, order_id: u64, now: i64) {
        let Some(order) = self.orders.get_mut(&order_id) else { return };
        let (status, cleared) = state_for(order);
        for fo in &mut order.fulfillment_orders {
            let before = fo.clone();
            if status == FoStatus::Closed {
                fo.status = FoStatus::Closed;
            }
            if cleared {
                fo.lines.iter_mut().for_each(|l| l.remaining = 0);
            }
            if *fo != before {
                fo.updated_at = now.max(fo.updated_at);
            }
        }
    }

    /// The fulfillment order with this id and its order.
    pub fn fulfillment_order(&self, id: u64) -> Option<(&Order, &FulfillmentOrder)> {
        let order = self.orders.get(self.fulfillment_order_index.get(&id)?)?;
        Some((order, order.fulfillment_orders.iter().find(|fo| fo.id == id)?))
    }

    /// Ships `quantities` (fulfillment order line id, quantity) of a fulfillment order at `now`,
    /// or everything it has left when `None`: an OPEN one becomes IN_PROGRESS while something
    /// remains and CLOSED when nothing does; the order is fulfilled once all of its are closed.
    pub fn fulfill(
        &mut self,
        fulfillment_order_id: u64,
        quantities: Option<&[(u64, i64)]>,
        now: i64,
    ) -> Result<(), String> {
        let order_id = *self.fulfillment_order_index.get(&fulfillment_order_id).ok_or("no such fulfillment order")?;
        let order = self.orders.get_mut(&order_id).ok_or("no such order")?;
        let fo = order
            .fulfillment_orders
            .iter_mut()
            .find(|fo| fo.id == fulfillment_order_id)
            .ok_or("no such fulfillment order")?;
        if !fo.status.fulfillable() || fo.remaining() == 0 {
            return Err("the fulfillment order cannot be fulfilled".into());
        }
        let wanted: Vec<(u64, i64)> = match quantities {
            Some(q) => q.to_vec(),
            None => fo.lines.iter().filter(|l| l.remaining > 0).map(|l| (l.id, l.remaining)).collect(),
        };
        for (line_id, quantity) in &wanted {
            let line = fo.lines.iter().find(|l| l.id == *line_id).ok_or("no such fulfillment order line item")?;
            if *quantity <= 0 || *quantity > line.remaining {
                return Err(format!("invalid quantity {quantity} for line item {line_id}"));
            }
        }
        for (line_id, quantity) in wanted {
            if let Some(line) = fo.lines.iter_mut().find(|l| l.id == line_id) {
                line.remaining -= quantity;
            }
        }
        fo.status = if fo.remaining() == 0 { FoStatus::Closed } else { FoStatus::InProgress };
        fo.updated_at = now.max(fo.updated_at);
        if order.fulfillment_orders.iter().all(|fo| fo.remaining() == 0) {
            order.fulfilled = true;
        }
        order.updated_at = now.max(order.updated_at);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn shop() -> ShopData {
        let config = Config::from_json(
            r#"{"shops": [{"handle": "acme", "access_token": "t", "scopes": [], "locations": 3,
                "products": 20, "customers": 30, "orders": 400, "seed": 7}]}"#,
        )
        .unwrap();
        ShopData::generate(&config.shops[0], 1_795_757_460)
    }

    #[test]
    fn every_order_has_fulfillment_orders_that_follow_its_state() {
        let data = shop();
        let mut split = 0;
        for order in data.orders.values() {
            let fos = &order.fulfillment_orders;
            assert!(!fos.is_empty());
            split += usize::from(fos.len() > 1);
            let lines: Vec<u64> = fos.iter().flat_map(|fo| fo.lines.iter().map(|l| l.line_item_id)).collect();
            assert_eq!(lines, order.lines.iter().map(|l| l.id).collect::<Vec<_>>());
            let open = order.closed_at.is_none() && order.cancelled_at.is_none() && !order.fulfilled;
            for fo in fos {
                assert_eq!(fo.status == FoStatus::Open, open, "order {}", order.id);
                assert_eq!(data.fulfillment_order(fo.id).map(|(o, _)| o.id), Some(order.id));
            }
        }
        assert!((10..80).contains(&split), "{split} of 400 split");
        let ids: Vec<u64> = data.orders.values().flat_map(|o| o.fulfillment_orders.iter().map(|fo| fo.id)).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids increase with the orders");
    }

    #[test]
    fn fulfilling_closes_the_fulfillment_order_and_then_the_order() {
        let mut data = shop();
        let order = data
            .orders
            .values()
            .find(|o| o.fulfillment_orders.len() == 1 && o.lines.len() > 1 && o.closed_at.is_none() && !o.fulfilled)
            .unwrap();
        let (order_id, fo) = (order.id, order.fulfillment_orders[0].clone());
        let first = (fo.lines[0].id, fo.lines[0].total);
        data.fulfill(fo.id, Some(&[first]), 10).unwrap();
        let (order, now) = data.fulfillment_order(fo.id).unwrap();
        assert_eq!(now.status, FoStatus::InProgress);
        assert!(!order.fulfilled);
        data.fulfill(fo.id, None, 11).unwrap();
        let (order, now) = data.fulfillment_order(fo.id).unwrap();
        assert_eq!((now.status, now.remaining()), (FoStatus::Closed, 0));
        assert!(order.fulfilled);
        assert!(data.fulfill(fo.id, None, 12).is_err());
        let _ = order_id;
    }
}
